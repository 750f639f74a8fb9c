"""The one name rule (apps/core/bibliography/names.py), read by every path that splits a name:
the BibTeX importer, the BibTeX writer, CSL-JSON, RIS (papers and frozen listings),
first-author dedupe and generated citation keys must all agree with one table. And the
package stays free of Django."""

import subprocess
import sys
from pathlib import Path

import bibtexparser
import pytest

from apps.core.bibliography.braces import balanced, escape_unmatched, split_top_level
from apps.core.bibliography.names import Name, display_names, family_key, parse_name
from apps.listings.snapshot import ris_record
from apps.papers.bibtex import generated_key, write_bibtex
from apps.papers.csl import csl_item
from apps.papers.models import Paper
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.relations import attach_relations
from apps.papers.ris import ris_reference
from apps.papers.services import paper_upsert_many
from tests.factories import PaperFactory

# (name as a BibTeX file writes it, display name sellm stores, its parts, CSL name, RIS name,
#  dedupe key, citation key stem)
NAMES = [
    (
        "Ludwig van Beethoven",
        "Ludwig van Beethoven",
        Name("Ludwig", "van", "Beethoven", ""),
        {"family": "van Beethoven", "given": "Ludwig"},
        "van Beethoven, Ludwig",
        "beethoven",
        "beethoven",
    ),
    (
        "van Beethoven, Ludwig",  # "von Last, First"
        "Ludwig van Beethoven",
        Name("Ludwig", "van", "Beethoven", ""),
        {"family": "van Beethoven", "given": "Ludwig"},
        "van Beethoven, Ludwig",
        "beethoven",
        "beethoven",
    ),
    (
        "Hou, Xinyi",  # "Last, First"
        "Xinyi Hou",
        Name("Xinyi", "", "Hou", ""),
        {"family": "Hou", "given": "Xinyi"},
        "Hou, Xinyi",
        "hou",
        "hou",
    ),
    (
        "King, Jr, Martin Luther",  # "Last, Jr, First"
        "Martin Luther King Jr",
        Name("Martin Luther", "", "King", "Jr"),
        {"family": "King", "given": "Martin Luther", "suffix": "Jr"},
        "King, Martin Luther, Jr",
        "king",
        "king",
    ),
    (
        "de la Cruz, Maria",  # two particles
        "Maria de la Cruz",
        Name("Maria", "de la", "Cruz", ""),
        {"family": "de la Cruz", "given": "Maria"},
        "de la Cruz, Maria",
        "cruz",
        "cruz",
    ),
    (
        "Jean de La Fontaine",  # a capitalised word after the particle is last name
        "Jean de La Fontaine",
        Name("Jean", "de", "La Fontaine", ""),
        {"family": "de La Fontaine", "given": "Jean"},
        "de La Fontaine, Jean",
        "la fontaine",
        "lafontaine",
    ),
    (
        '{\\"U}mit Kaya',  # braces and an accent macro
        "Ümit Kaya",
        Name("Ümit", "", "Kaya", ""),
        {"family": "Kaya", "given": "Ümit"},
        "Kaya, Ümit",
        "kaya",
        "kaya",
    ),
    (
        "{OpenAI}",  # one braced word: an organisation
        "OpenAI",
        Name("", "", "OpenAI", ""),
        {"literal": "OpenAI"},
        "OpenAI",
        "openai",
        "openai",
    ),
]


@pytest.mark.parametrize(("written", "display", "parts", "csl", "ris", "key", "stem"), NAMES)
@pytest.mark.django_db
def test_every_path_reads_a_name_by_the_one_rule(
    written: str,
    display: str,
    parts: Name,
    csl: dict[str, str],
    ris: str,
    key: str,
    stem: str,
) -> None:
    # The importer's display name, and the parts of both forms.
    assert display_names(f"{written} and others") == [display]
    assert parse_name(display) == parts
    written_parts = parse_name(written)
    assert (written_parts.von, written_parts.jr) == (parts.von, parts.jr)
    assert family_key(written) == family_key(display) == key

    paper = PaperFactory(title="Symphonies of Testing", year=2020, authors=[display])
    (paper,) = attach_relations(Paper.objects.filter(pk=paper.pk))
    # CSL-JSON and RIS.
    assert csl_item(paper, "x")["author"] == [csl]
    assert ris_reference(paper, "x")["authors"] == [ris]
    frozen = {"title": paper.title, "authors": [display]}  # a frozen listing's record
    assert ris_record(frozen, "x")["authors"] == [ris]
    # Generated citation keys and the BibTeX writer, read back by the importer's rule.
    assert generated_key(paper) == f"{stem}2020symphonies"
    entry = bibtexparser.parse_string("".join(write_bibtex([paper]))).entries[0]
    names = display_names(entry.fields_dict["author"].value)
    assert names == [display]
    assert parse_name(names[0]) == parts


@pytest.mark.django_db
def test_dedupe_matches_a_first_author_by_the_rule() -> None:
    """A BibTeX "von Last, First" name and a source's "First Von Last" are one first author;
    a different last name is not."""
    paper = PaperFactory(title="Symphonies of Testing", year=2020, authors=["Ludwig Van Beethoven"])
    same, other = (
        PaperRecord(title="Symphonies of testing", year=2020, authors=[AuthorRecord(name)])
        for name in display_names("van Beethoven, Ludwig and Ludwig van Bach")
    )
    report = paper_upsert_many(records=[same, other], source=Paper.Source.BIBTEX)
    assert [o.action for o in report.outcomes] == ["unchanged", "created"]
    assert report.outcomes[0].paper_id == paper.pk


def test_the_brace_scanner() -> None:
    assert split_top_level("a, {b, c}, d\\, e", ",") == ["a", " {b, c}", " d\\, e"]
    assert balanced("{a \\} {b}}")
    assert not balanced("}{")
    assert not balanced("{a")
    assert escape_unmatched("a} {b} {c") == "a\\} {b} \\{c"


def test_the_package_imports_no_django() -> None:
    code = (
        "import sys\n"
        "import apps.core.bibliography.braces, apps.core.bibliography.codec\n"
        "import apps.core.bibliography.fields, apps.core.bibliography.names\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'"
        " or m.startswith(('apps.papers', 'apps.ingestion', 'apps.taxonomy')))\n"
        "assert not bad, bad\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)
