"""BibTeX and CSL-JSON exports of paper lists: streamed, filtered like the JSON list, and
readable by the tools that consume them (bibtexparser; any JSON reader)."""

import json

import bibtexparser
import pytest
from django.http import StreamingHttpResponse

from apps.core.bibliography.fields import display_text
from apps.papers.models import Paper, Placement
from tests.api.helpers import body
from tests.factories import CategoryFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/papers/"


@pytest.fixture
def papers():
    testing = PhaseFactory(slug="testing", name="Testing and Evaluation")
    arxiv = PaperFactory(
        title="Metamorphic testing of LLM code generators",
        authors=["Ada Lovelace", "Alan Turing"],
        year=2024,
        arxiv_id="2401.01234",
        primary_category="cs.SE",
        doi="10.1145/3650212.3680001",
    )
    journal = PaperFactory(
        title="Benchmarks considered harmful",
        authors=["Grace Hopper"],
        year=2023,
        arxiv_id=None,
        venue="Empirical Software Engineering",
        doi="10.1007/s10664-023-00001-x",
    )
    plain = PaperFactory(
        title="Prompt injection in the wild", authors=["Barbara Liskov"], year=2025
    )
    PaperFactory(title="Still in the inbox", status=Paper.Status.INBOX, authors=["X Y"])
    PaperFactory(title="Excluded one", status=Paper.Status.EXCLUDED, authors=["Z W"])
    arxiv.categories.add(CategoryFactory(code="cs.SE"))
    PlacementFactory(paper=arxiv, phase=testing)
    PlacementFactory(
        paper=plain,
        phase=testing,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )
    return {"arxiv": arxiv, "journal": journal, "plain": plain}


def parsed_bibtex(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return {
        # keyed by the title as read (protective braces such as {LLM} are invisible)
        display_text(entry.fields_dict["title"].value): {
            k.lower(): f.value for k, f in entry.fields_dict.items()
        }
        | {"_type": entry.entry_type, "_key": entry.key}
        for entry in library.entries
    }


def test_bibtex_export_parses_back_with_the_same_entries_and_fields(anon, papers) -> None:
    response = anon.get(URL, {"format": "bibtex"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert 'filename="sellm-papers.bib"' in response["Content-Disposition"]
    entries = parsed_bibtex(body(response))
    assert len(entries) == 3  # the three public papers, no inbox or excluded one
    arxiv = entries["Metamorphic testing of LLM code generators"]
    assert arxiv["author"] == "Ada Lovelace and Alan Turing"
    assert arxiv["year"] == "2024"
    assert arxiv["eprint"] == "2401.01234"
    assert arxiv["archiveprefix"] == "arXiv"
    assert arxiv["primaryclass"] == "cs.SE"
    assert arxiv["doi"] == "10.1145/3650212.3680001"
    assert arxiv["url"] == "https://arxiv.org/abs/2401.01234"
    assert "Testing and Evaluation" in arxiv["keywords"]
    journal = entries["Benchmarks considered harmful"]
    assert journal["_type"] == "article"
    assert journal["journal"] == "Empirical Software Engineering"
    assert journal["doi"] == "10.1007/s10664-023-00001-x"
    assert "eprint" not in journal
    assert len({entry["_key"] for entry in entries.values()}) == 3
    # a pending suggestion is not a keyword
    assert "keywords" not in entries["Prompt injection in the wild"]


def test_bibtex_through_the_accept_header_with_filters(anon, papers) -> None:
    response = anon.get(URL, {"phase": "testing"}, HTTP_ACCEPT="application/x-bibtex")

    assert response["Content-Type"].startswith("application/x-bibtex")
    assert list(parsed_bibtex(body(response))) == ["Metamorphic testing of LLM code generators"]
    only_2023 = parsed_bibtex(body(anon.get(URL, {"format": "bibtex", "year": 2023})))
    assert list(only_2023) == ["Benchmarks considered harmful"]


def test_exports_are_not_paged(anon) -> None:
    PaperFactory.create_batch(30)

    assert len(parsed_bibtex(body(anon.get(URL, {"format": "bibtex", "page_size": 5})))) == 30
    assert len(json.loads(body(anon.get(URL, {"format": "csljson"})))) == 30


def test_a_curators_export_follows_their_list(curator_api, papers) -> None:
    entries = parsed_bibtex(body(curator_api.get(URL, {"format": "bibtex", "status": "inbox"})))

    assert list(entries) == ["Still in the inbox"]


def test_csl_json_export(anon, papers) -> None:
    response = anon.get(URL, {"format": "csljson", "ordering": "title"})

    assert response["Content-Type"] == "application/vnd.citationstyles.csl+json; charset=utf-8"
    items = json.loads(body(response))
    assert [item["title"] for item in items] == [
        "Benchmarks considered harmful",
        "Metamorphic testing of LLM code generators",
        "Prompt injection in the wild",
    ]
    journal, arxiv, plain = items
    assert arxiv["type"] == "article"  # a preprint
    assert arxiv["author"] == [
        {"family": "Lovelace", "given": "Ada"},
        {"family": "Turing", "given": "Alan"},
    ]
    assert arxiv["issued"]["date-parts"][0][0] == arxiv_year(papers["arxiv"])
    assert arxiv["DOI"] == "10.1145/3650212.3680001"
    assert arxiv["number"] == "arXiv:2401.01234"
    assert arxiv["URL"] == "https://arxiv.org/abs/2401.01234"
    assert arxiv["keyword"] == "Testing and Evaluation"
    assert journal["type"] == "article-journal"
    assert journal["container-title"] == "Empirical Software Engineering"
    assert "keyword" not in plain
    assert len({item["id"] for item in items}) == 3
    accept = anon.get(URL, HTTP_ACCEPT="application/vnd.citationstyles.csl+json")
    assert len(json.loads(body(accept))) == 3


def arxiv_year(paper: Paper) -> int:
    return paper.published_at.year


def test_an_empty_export_is_still_well_formed(anon) -> None:
    assert json.loads(body(anon.get(URL, {"format": "csljson"}))) == []
    assert parsed_bibtex(body(anon.get(URL, {"format": "bibtex"}))) == {}


def test_a_single_paper_exports_too(anon, papers) -> None:
    paper = papers["journal"]

    bib = parsed_bibtex(body(anon.get(f"{URL}{paper.pk}/", {"format": "bibtex"})))
    csl = json.loads(body(anon.get(f"{URL}{paper.pk}/", {"format": "csljson"})))

    assert list(bib) == [paper.title]
    assert [item["title"] for item in csl] == [paper.title]


def test_export_errors_are_json(anon, papers) -> None:
    response = anon.get(URL, {"format": "bibtex", "year": "soon"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "year" in response.json()["errors"]


def test_the_export_is_streamed_in_chunks(anon) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.papers.api import views

    PaperFactory.create_batch(7, authors=2)
    chunk, views.EXPORT_CHUNK = views.EXPORT_CHUNK, 3
    try:
        with CaptureQueriesContext(connection) as answering:
            response = anon.get(URL, {"format": "bibtex"})
        with CaptureQueriesContext(connection) as streaming:
            pieces = list(response.streaming_content)
    finally:
        views.EXPORT_CHUNK = chunk

    # Nothing is read before the body is consumed; then papers come chunk by chunk (3 + 3 +
    # 1), each chunk with its own load of authors and of placements.
    assert not any("papers_paper" in q["sql"] for q in answering.captured_queries)
    authors = [q for q in streaming.captured_queries if "papers_authorship" in q["sql"]]
    placements = [q for q in streaming.captured_queries if "papers_placement" in q["sql"]]
    assert len(authors) == len(placements) == 3
    assert len([p for p in pieces if p.startswith(b"@")]) == 7
