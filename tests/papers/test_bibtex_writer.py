"""The shared BibTeX writer: entries parse back and carry what citing needs."""

import bibtexparser
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.bibliography.codec import text_to_latex
from apps.papers.bibtex import citation_key, key_suffix, write_bibtex
from apps.papers.models import Paper
from apps.papers.relations import attach_relations
from apps.papers.services.citation_keys import citation_keys_assign
from tests.factories import ChallengeFactory, PaperFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def parse(text: str) -> bibtexparser.Library:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return library


def test_an_arxiv_paper_carries_eprint_class_url_and_keywords() -> None:
    paper = PaperFactory(
        title="Testing 50% of $\\tau$-bench & friends",
        arxiv_id="2401.01234",
        doi="10.1145/x",
        year=2024,
        authors=["Ada Lovelace", "Alan Turing"],
    )
    challenge = ChallengeFactory(name="Test oracles")
    PlacementFactory(paper=paper, challenge=challenge)

    entry = parse("".join(write_bibtex(attach_relations(Paper.objects.all())))).entries[0]

    assert entry.key == "lovelace2024testing"
    assert entry.entry_type == "misc"
    assert entry["eprint"] == "2401.01234"
    assert entry["archivePrefix"] == "arXiv"
    assert entry["primaryClass"] == "cs.SE"
    assert entry["doi"] == "10.1145/x"
    assert entry["url"] == "https://arxiv.org/abs/2401.01234"
    assert entry["author"] == "Ada Lovelace and Alan Turing"
    assert entry["title"] == "Testing 50\\% of $\\tau$-bench \\& friends"
    assert entry["keywords"] == f"{challenge.phase.name}, Test oracles"


def test_keys_are_unique_within_an_export_and_imported_keys_are_kept() -> None:
    for _ in range(3):
        PaperFactory(title="Large models", year=2023, authors=["Xinyi Hou"])
    PaperFactory(title="Other", bibtex_key="my:key/2020", authors=["Xinyi Hou"])

    keys = [
        e.key for e in parse("".join(write_bibtex(attach_relations(Paper.objects.all())))).entries
    ]

    assert sorted(keys) == ["hou2023large", "hou2023largea", "hou2023largeb", "my:key/2020"]


def test_imported_fields_are_written_back_and_venues_pick_the_right_field() -> None:
    PaperFactory(
        title="Proceedings paper",
        arxiv_id=None,
        bibtex_type="inproceedings",
        venue="ICSE",
        bibtex_fields={"pages": "1--10", "publisher": "{ACM}"},
    )

    entry = parse("".join(write_bibtex(attach_relations(Paper.objects.all())))).entries[0]

    assert entry.entry_type == "inproceedings"
    assert entry["booktitle"] == "ICSE"
    assert entry["pages"] == "1--10"
    assert entry["publisher"] == "{ACM}"


# Display text is plain Unicode (the importer decodes LaTeX), so a backslash or a brace in it
# is a character to print, not markup; inline math is the one thing that passes through.
@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("a_b & c # d", "a\\_b \\& c \\# d"),
        ("a literal \\& backslash", "a literal \\textbackslash{}\\& backslash"),
        ("math $x_1$ stays", "math $x_1$ stays"),
        ("open { brace", "open \\{ brace"),
        ("close } brace {ok}", "close \\} brace \\{ok\\}"),
        ("5$ and ~ and ^", "5\\$ and \\textasciitilde{} and \\textasciicircum{}"),
        ("pre--train, ``quoted''", "pre-{}-train, `{}`quoted'{}'"),
        ("$50%$ is not math", "\\$50\\%\\$ is not math"),
        ("Über Straße", "Über Straße"),
    ],
)
def test_latex_escaping(text: str, escaped: str) -> None:
    assert text_to_latex(text) == escaped


def test_imported_forms_are_written_while_they_agree_with_the_columns() -> None:
    paper = PaperFactory(
        title="Über GPT-4",
        arxiv_id=None,
        authors=["Jürgen Müller"],
        bibtex_type="article",
        venue="Revue",
        bibtex_fields={
            "title": '{\\"U}ber {GPT}-4',
            "author": 'M{\\"u}ller, J{\\"u}rgen',
            "journal": "{Revue}",
            "month": "sep",
        },
    )

    entry = parse("".join(write_bibtex(attach_relations(Paper.objects.all())))).entries[0]
    assert entry["title"] == '{\\"U}ber {GPT}-4'
    assert entry["author"] == 'M{\\"u}ller, J{\\"u}rgen'
    assert entry["journal"] == "{Revue}"
    assert entry.fields_dict["month"].value == "sep"  # written as the macro, unbraced

    paper.title = "Über GPT-5"  # a curator's correction beats the imported form
    paper.save()
    entry = parse("".join(write_bibtex(attach_relations(Paper.objects.all())))).entries[0]
    assert entry["title"] == "Über {GPT}-5"  # capitals protected (issue 11)
    assert entry["author"] == 'M{\\"u}ller, J{\\"u}rgen'


def test_imported_keywords_come_first_then_the_taxonomy() -> None:
    paper = PaperFactory(bibtex_fields={"keywords": "fuzzing, oracles"})
    challenge = ChallengeFactory(name="Test oracles & more")
    PlacementFactory(paper=paper, challenge=challenge)

    entry = parse("".join(write_bibtex(attach_relations(Paper.objects.all())))).entries[0]

    assert entry["keywords"] == f"fuzzing, oracles, {challenge.phase.name}, Test oracles \\& more"


def test_generated_keys_avoid_keys_stored_on_papers_outside_the_export() -> None:
    for key in ("hou2023large", "hou2023largea"):  # in the inbox: not in the export
        PaperFactory(
            title="Large", year=2023, authors=["Xinyi Hou"], bibtex_key=key, status="inbox"
        )
    PaperFactory(title="Large models", year=2023, authors=["Xinyi Hou"])
    PaperFactory(title="Large", year=2023, authors=["Xinyi Hou"])

    keys = [
        e.key
        for e in parse("".join(write_bibtex(attach_relations(Paper.objects.included())))).entries
    ]

    assert sorted(keys) == ["hou2023largeb", "hou2023largec"]


def test_a_stem_whose_lettered_variants_are_all_taken_goes_on_past_z() -> None:
    for suffix in ["", *(key_suffix(n) for n in range(27))]:  # stem, stema … stemz, stemaa
        PaperFactory(
            title="Large",
            year=2023,
            authors=["Xinyi Hou"],
            bibtex_key=f"hou2023large{suffix}",
            status="inbox",
        )
    PaperFactory(title="Large", year=2023, authors=["Xinyi Hou"])

    keys = [
        e.key
        for e in parse("".join(write_bibtex(attach_relations(Paper.objects.included())))).entries
    ]

    assert keys == ["hou2023largeab"]


def test_stored_keys_are_assigned_once_unique_and_never_changed() -> None:
    first = PaperFactory(title="The Large models", year=2023, authors=["Xinyi Hou"])
    second = PaperFactory(title="Large models", year=2023, authors=["Xinyi Hóu"])
    PaperFactory(title="Other", bibtex_key="hou2023large2")
    keyed = PaperFactory(title="Large models", year=2023, bibtex_key="mine")

    assigned = citation_keys_assign(paper_ids=[first.pk, second.pk, keyed.pk])
    again = citation_keys_assign(paper_ids=[first.pk, second.pk, keyed.pk])

    first.refresh_from_db()
    second.refresh_from_db()
    keyed.refresh_from_db()
    assert (assigned, again) == (2, 0)
    assert (first.bibtex_key, second.bibtex_key, keyed.bibtex_key) == (
        "hou2023large",
        "hou2023largea",
        "mine",
    )
    first.title = "Renamed by a curator"
    first.save()
    assert citation_key(first) == "hou2023large"


def test_writing_needs_one_key_query_per_chunk_whatever_the_number_of_papers() -> None:
    def count_queries(n: int) -> int:
        Paper.objects.all().delete()
        for _ in range(n):
            PlacementFactory(paper=PaperFactory(authors=2))
        with CaptureQueriesContext(connection) as queries:
            "".join(write_bibtex(attach_relations(Paper.objects.all())))
        return len(queries)

    assert count_queries(5) == count_queries(50)
