"""Round trip: export → import into an empty base gives the same papers, authors in order
and fields — for papers with awkward text (hypothesis) and for real-world-style files."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from apps.core.bibliography.codec import latex_to_text, text_to_latex
from apps.core.bibliography.names import display_names, names_to_latex
from apps.core.text import collapse_whitespace, fold
from apps.ingestion.bibtex.services import bibtex_import
from apps.papers.bibtex import write_bibtex, written_fields
from apps.papers.models import Author, Paper
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.relations import attach_relations
from apps.papers.services import paper_upsert_many
from tests.ingestion.test_bibtex_parser import FILES

AWKWARD = [
    "{",
    "}",
    "{GPT}",
    "$x_1^2$",
    "$\\tau$",
    "$\\mathcal{O}(n)$",
    "$",
    "%",
    "&",
    "#",
    "_",
    "~",
    "^",
    "\\",
    "\\&",
    "--",
    "---",
    "``",
    "''",
    '"',
    "@",
    ",",
    "=",
    "é",
    "Ü",
    "ß",
    "Ø",
    "ł",
    "中文",
    "\u2013",
    " and ",
    "\\'e",
    "\\emph{x}",
]
WORDS = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")),
    min_size=1,
    max_size=6,
)
TEXT = st.lists(st.one_of(WORDS, st.sampled_from(AWKWARD)), min_size=1, max_size=8).map("".join)
NAMES = st.lists(
    st.one_of(
        st.sampled_from(["Ada", "Lovelace", "Jürgen", "Müller", "van", "Jr.", "O'Neil"]), WORDS
    ),
    min_size=1,
    max_size=3,
).map(" ".join)
EXTRA_FIELDS = st.dictionaries(
    st.sampled_from(["pages", "publisher", "note", "volume", "address", "mynote", "keywords"]),
    TEXT.map(text_to_latex),
    max_size=3,
) | st.just({"month": "may", "pages": "1--10"})
TYPES = st.sampled_from(["article", "inproceedings", "misc", "phdthesis", "techreport", "book"])


@st.composite
def records(draw: st.DrawFn) -> list[PaperRecord]:
    count = draw(st.integers(min_value=1, max_value=3))
    pool = draw(st.lists(NAMES, min_size=1, max_size=6, unique_by=lambda n: fold(n)))
    assume(all(fold(name) and fold(name) != "others" for name in pool))
    result = []
    for index in range(count):
        arxiv = draw(st.booleans())
        result.append(
            PaperRecord(
                title=f"{draw(TEXT)} {index}",
                authors=[
                    AuthorRecord(n) for n in draw(st.permutations(pool))[: draw(st.integers(0, 4))]
                ],
                abstract=draw(st.one_of(st.just(""), TEXT)),
                year=draw(st.one_of(st.none(), st.integers(1800, 2200))),
                venue=draw(st.one_of(st.just(""), TEXT)),
                doi=draw(
                    st.one_of(
                        st.none(), st.from_regex(r"10\.\d{4,5}/[a-z0-9._-]{1,12}", fullmatch=True)
                    )
                ),
                arxiv_id=f"24{index + 1:02d}.{draw(st.integers(10000, 99999))}" if arxiv else None,
                primary_category="cs.SE" if arxiv else "",
                categories=["cs.SE"] if arxiv else [],
                bibtex_key=draw(
                    st.one_of(
                        st.just(""),
                        st.from_regex(r"[A-Za-z][A-Za-z0-9:_./-]{0,12}", fullmatch=True),
                    )
                )
                + (f"-{index}" if index else ""),
                bibtex_type=draw(TYPES),
                bibtex_fields=draw(EXTRA_FIELDS),
                label=f"record {index}",
            )
        )
    return result


def snapshot() -> dict[str, tuple]:
    """Every paper as the user sees it, by title (titles are unique in these tests): its
    columns and the fields of its BibTeX entry. (An imported field the entry no longer uses
    — say an author list a merge has since completed — is not compared: it says nothing.)"""
    papers = {}
    for paper in attach_relations(Paper.objects.all(), ("authors", "placements", "categories")):
        papers[paper.title] = (
            paper.bibtex_key,
            paper.abstract,
            [author["name"] for author in paper.author_rows],
            paper.year,
            paper.venue,
            paper.doi,
            paper.arxiv_id,
            paper.primary_category,
            paper.category_codes,
            paper.bibtex_type,
            written_fields(paper),
        )
    return papers


def export_wipe_import() -> tuple[dict, dict, str]:
    before = snapshot()
    text = "\n".join(write_bibtex(attach_relations(Paper.objects.order_by("pk"))))
    Paper.objects.all().delete()
    Author.objects.all().delete()
    report = bibtex_import(text=text)
    assert report.counts["failed"] == 0, report.as_dict()
    return before, snapshot(), text


def same_except_generated_keys(before: dict, after: dict) -> None:
    assert after.keys() == before.keys()
    for title, fields in before.items():
        if not fields[0]:  # a paper without a key gets a generated one on the way
            assert after[title][0]
            fields = (after[title][0], *fields[1:])
        assert after[title] == fields, title


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=records())
def test_awkward_papers_survive_export_and_import_into_an_empty_base(
    batch: list[PaperRecord],
) -> None:
    with transaction.atomic():
        report = paper_upsert_many(records=batch, source=Paper.Source.MANUAL)
        assume(report.counts["created"] == len(batch))

        before, after, _ = export_wipe_import()

        same_except_generated_keys(before, after)
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["accents.bib", "arxiv.bib", "dedupe.bib", "macros.bib", "names.bib", "types.bib"]
)
def test_imported_files_survive_export_and_import(name: str) -> None:
    bibtex_import(text=(FILES / name).read_text(encoding="utf-8"))

    before, after, text = export_wipe_import()

    same_except_generated_keys(before, after)
    assert "@string" not in text  # macros were resolved on the way in


@pytest.mark.django_db
def test_a_crossref_is_inlined_so_the_export_stands_alone() -> None:
    bibtex_import(text=(FILES / "crossref.bib").read_text(encoding="utf-8"))

    _, after, text = export_wipe_import()

    assert "crossref" not in text
    child = after["A Paper in the Proceedings"]
    assert child[4].startswith("Proceedings of the 45th International")
    assert {"pages": "1--12", "publisher": "IEEE", "address": "Melbourne"}.items() <= child[
        10
    ].items()
    assert Paper.objects.get(bibtex_key="child2023").bibtex_fields.get("crossref") is None


@settings(max_examples=500)
@given(text=st.text())
def test_decoding_inverts_encoding_for_any_text(text: str) -> None:
    assert latex_to_text(text_to_latex(text)) == text


@settings(max_examples=300)
@given(names=st.lists(NAMES, min_size=1, max_size=5))
def test_names_read_back_in_order(names: list[str]) -> None:
    names = [collapse_whitespace(name) for name in names]
    assume(all(names))

    assert display_names(names_to_latex(names)) == names
