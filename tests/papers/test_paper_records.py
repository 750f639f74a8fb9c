"""What readers and reference managers take from a paper page: every author, venue, date,
kind, links, the curators' note, citations, the References / Cited by lists, Highwire
`citation_*` tags (read as Zotero's Embedded Metadata translator reads them), JSON-LD, the
description, and RIS that round-trips through a RIS reader."""

import json
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
import rispy
from django.core.cache import cache
from django.test import Client

from apps.papers.models import Citation, Paper
from tests.factories import PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


AUTHORS = ["Hongzhou Rao", "Yanjie Zhao", "Xinyi Hou", "Shenao Wang", "Haoyu Wang"]


class MetaReader(HTMLParser):
    """What Zotero's Embedded Metadata translator reads: every <meta name=… content=…> in
    document order (repeated names kept), the JSON-LD blocks, and the page's links."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: list[tuple[str, str]] = []
        self.json_ld: list[str] = []
        self.links: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "meta" and values.get("name"):
            self.meta.append((values["name"] or "", values.get("content") or ""))
        if tag == "script" and values.get("type") == "application/ld+json":
            self._in_ld = True
            self.json_ld.append("")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_ld = False

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.json_ld[-1] += data

    def values(self, name: str) -> list[str]:
        return [content for key, content in self.meta if key == name]


def read(client: Client, url: str) -> tuple[MetaReader, str]:
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    reader = MetaReader()
    reader.feed(html)
    return reader, html


def survey_paper(**fields: object) -> Paper:
    defaults: dict = {
        "title": "Software Engineering for Large Language Models: Research Status, "
        "Challenges and the Road Ahead",
        "arxiv_id": "2506.23762",
        "published_at": datetime(2025, 6, 30, tzinfo=UTC),
        "year": 2025,
        "abstract": "An abstract read from arXiv, which the description must not repeat.",
        "kind": Paper.Kind.SURVEY,
        "venue": "TOSEM 2025",
        "doi": "10.1145/3712345",
        "code_url": "https://github.com/example/se4llm",
        "oa_url": "https://example.org/se4llm.pdf",
        "curator_note": "Maps SE research onto six LLM lifecycle phases.",
    }
    return PaperFactory(authors=AUTHORS, **(defaults | fields))


def test_zotero_reads_every_fact_from_the_citation_tags(client: Client) -> None:
    paper = survey_paper()

    reader, _ = read(client, f"/papers/{paper.pk}/")

    assert reader.values("citation_title") == [paper.title]
    assert reader.values("citation_author") == AUTHORS  # every author, in order
    assert reader.values("citation_publication_date") == ["2025/06/30"]
    assert reader.values("citation_doi") == ["10.1145/3712345"]
    assert reader.values("citation_arxiv_id") == ["2506.23762"]
    assert reader.values("citation_pdf_url") == ["https://arxiv.org/pdf/2506.23762"]
    assert reader.values("citation_journal_title") == ["TOSEM 2025"]
    assert reader.values("citation_abstract_html_url") == ["https://arxiv.org/abs/2506.23762"]
    assert reader.values("description") == ["Maps SE research onto six LLM lifecycle phases."]


def test_the_json_ld_is_a_scholarly_article(client: Client) -> None:
    paper = survey_paper(title="Tests </script><script>alert(1)</script> & more")

    reader, html = read(client, f"/papers/{paper.pk}/")

    assert "<script>alert(1)" not in html
    (block,) = reader.json_ld
    data = json.loads(block)
    assert data["@type"] == "ScholarlyArticle"
    assert data["name"] == paper.title
    assert [a["name"] for a in data["author"]] == AUTHORS
    assert data["datePublished"] == "2025-06-30"
    assert {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1145/3712345"} in data[
        "identifier"
    ]
    assert data["url"].endswith(f"/papers/{paper.pk}/")


def test_a_paper_without_facts_gets_no_invented_tags_and_a_description_of_its_own(
    client: Client,
) -> None:
    paper = PaperFactory(
        authors=["Ann Ng"],
        arxiv_id=None,
        doi=None,
        published_at=None,
        year=2021,
        abstract="Pasted abstract text.",
        bibtex_fields={"url": "https://example.org/paper"},
    )

    reader, html = read(client, f"/papers/{paper.pk}/")

    assert reader.values("citation_publication_date") == ["2021"]
    for name in ("citation_doi", "citation_arxiv_id", "citation_pdf_url", "citation_journal_title"):
        assert reader.values(name) == []
    (text,) = reader.values("description")
    assert paper.title in text
    assert "Ann Ng" in text
    assert "Pasted abstract" not in text
    assert "https://example.org/paper" in reader.links  # a paper with only a URL links to it
    assert "<dt>Citations</dt>" not in html  # no citation count is invented
    assert "as of" not in html


def test_the_page_shows_authors_venue_date_kind_links_note_and_citations(client: Client) -> None:
    paper = survey_paper(cited_by_count=42, cited_by_as_of=date(2026, 11, 30))

    reader, html = read(client, f"/papers/{paper.pk}/")

    for authorship in paper.authorships.select_related("author"):
        assert f"/authors/{authorship.author_id}/" in reader.links
    assert "TOSEM 2025" in html
    assert "30 June 2025" in html
    assert 'class="badge badge-kind">Survey<' in html
    for url in (
        "https://arxiv.org/abs/2506.23762",
        "https://arxiv.org/pdf/2506.23762",
        "https://doi.org/10.1145/3712345",
        "https://github.com/example/se4llm",
        "https://example.org/se4llm.pdf",
        f"/papers/{paper.pk}/ris/",
        f"/papers/{paper.pk}/bibtex/",
    ):
        assert url in reader.links, url
    assert "Maps SE research onto six LLM lifecycle phases." in html
    assert "Cited by 42, as of" in html
    assert "30 November 2026" in html


def test_references_and_cited_by_list_only_what_the_public_may_see(client: Client) -> None:
    paper = survey_paper()
    cited = PaperFactory(title="A paper it builds on")
    hidden = PaperFactory(title="A paper in the inbox", status=Paper.Status.INBOX)
    citing = PaperFactory(title="A paper that builds on it")
    Citation.objects.create(citing=paper, cited=cited)
    Citation.objects.create(citing=paper, cited=hidden)
    Citation.objects.create(citing=citing, cited=paper)
    Paper.objects.filter(pk=paper.pk).update(references_outside=7)

    _, html = read(client, f"/papers/{paper.pk}/")

    references = html.split('id="references-title"')[1].split("</section>")[0]
    cited_by = html.split('id="cited-by-title"')[1].split("</section>")[0]
    assert "A paper it builds on" in references
    assert "A paper in the inbox" not in html
    assert "1 paper of sellm cited by this one" in references
    assert "7 references outside it" in references
    assert "A paper that builds on it" in cited_by
    assert "A paper it builds on" not in cited_by


def _count(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_the_page_costs_the_same_with_3_or_60_citations(client: Client) -> None:
    few, many = survey_paper(), survey_paper(arxiv_id="2506.00001", doi=None)
    others = PaperFactory.create_batch(60, authors=2)
    for paper, n in ((few, 3), (many, 60)):
        for other in others[:n]:
            Citation.objects.create(citing=paper, cited=other)
            Citation.objects.create(citing=other, cited=paper)

    assert _count(client, f"/papers/{few.pk}/") == _count(client, f"/papers/{many.pk}/")
    html = client.get(f"/papers/{many.pk}/").content.decode()
    assert "60 papers of sellm cited by this one; the newest 50 shown" in html


def test_ris_round_trips_through_a_ris_reader(client: Client) -> None:
    phase = PhaseFactory(name="Testing and evaluation")
    paper = survey_paper()
    PlacementFactory(paper=paper, phase=phase)
    preprint = PaperFactory(authors=["Ann Ng", "Ludwig van Beethoven"], venue="", doi=None)

    response = client.get(f"/papers/{paper.pk}/ris/")
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    (record,) = rispy.loads(b"".join(response.streaming_content).decode())

    assert record["type_of_reference"] == "JOUR"
    assert record["title"] == paper.title
    assert record["authors"] == [
        "Rao, Hongzhou",
        "Zhao, Yanjie",
        "Hou, Xinyi",
        "Wang, Shenao",
        "Wang, Haoyu",
    ]
    assert (record["year"], record["date"]) == ("2025", "2025/06/30")
    assert record["doi"] == "10.1145/3712345"
    assert record["journal_name"] == "TOSEM 2025"
    assert "https://arxiv.org/abs/2506.23762" in record["urls"]
    assert "https://github.com/example/se4llm" in record["urls"]
    assert record["keywords"] == ["Testing and evaluation"]
    assert record["id"] == paper.bibtex_key or paper.arxiv_id

    listing = client.get("/papers/ris/")
    records = rispy.loads(b"".join(listing.streaming_content).decode())
    by_title = {r["title"]: r for r in records}
    assert set(by_title) == {paper.title, preprint.title}
    assert by_title[preprint.title]["type_of_reference"] == "UNPB"
    assert by_title[preprint.title]["authors"] == ["Ng, Ann", "van Beethoven, Ludwig"]
