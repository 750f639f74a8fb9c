"""`paper_enrich_many`: what OpenAlex fills and keeps current, what it never overwrites, the
citation links in both directions of time, and re-runs that change nothing."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Citation, Paper, ReferencedWork
from apps.papers.services import paper_update
from apps.papers.services.enrichment import WorkRecord, arxiv_doi, paper_enrich_many
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 12, 2)


def record(number: int, doi: str | None, **fields) -> WorkRecord:  # type: ignore[no-untyped-def]
    fields.setdefault("as_of", AS_OF)
    return WorkRecord(openalex_id=f"W{number}", doi=doi, **fields)


def history_count(paper: Paper) -> int:
    return paper.history.count()


def test_an_arxiv_paper_gets_openalexs_facts_and_keeps_its_own() -> None:
    paper = PaperFactory(arxiv_id="2401.00001", venue="", doi=None)
    published = paper.published_at
    before = history_count(paper)

    report = paper_enrich_many(
        works=[
            record(
                11,
                arxiv_doi("2401.00001"),
                cited_by_count=42,
                oa_url="https://arxiv.org/pdf/2401.00001",
                venue="ICSE 2025",
                publication_date=date(2020, 1, 1),
                referenced_works=[],
            )
        ]
    )

    paper.refresh_from_db()
    assert report.counts["updated"] == 1
    assert report.outcomes[0].paper_id == paper.pk
    assert paper.openalex_id == "W11"
    assert (paper.cited_by_count, paper.cited_by_as_of) == (42, AS_OF)
    assert paper.oa_url == "https://arxiv.org/pdf/2401.00001"
    assert paper.venue == "ICSE 2025"
    assert paper.published_at == published  # sellm had a date: kept
    assert paper.doi is None  # its arXiv DOI follows from the id; the field stays free
    assert paper.references_outside is None  # OpenAlex lists no references: unknown
    assert paper.enriched_at is not None
    assert history_count(paper) == before + 1


def test_a_paper_without_date_or_doi_gets_them_and_a_venue_is_only_filled() -> None:
    paper = PaperFactory(
        arxiv_id=None, doi=None, published_at=None, year=None, venue="TOSEM", openalex_id="W7"
    )

    paper_enrich_many(
        works=[
            record(7, "10.1145/3695988", publication_date=date(2024, 9, 20), venue="Other venue")
        ]
    )

    paper.refresh_from_db()
    assert paper.doi == "10.1145/3695988"
    assert paper.published_at == datetime(2024, 9, 20, tzinfo=UTC)
    assert paper.year == 2024
    assert paper.venue == "TOSEM"


def test_the_same_answer_twice_changes_nothing() -> None:
    cited = PaperFactory(arxiv_id="2401.00002")
    citing = PaperFactory(arxiv_id="2401.00003")
    works = [
        record(2, arxiv_doi("2401.00002"), cited_by_count=5, referenced_works=[]),
        record(3, arxiv_doi("2401.00003"), cited_by_count=1, referenced_works=["W2", "W900"]),
    ]
    paper_enrich_many(works=works)
    state = list(Paper.objects.order_by("pk").values())
    histories = (history_count(cited), history_count(citing))

    again = paper_enrich_many(works=works)

    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2, "failed": 0}
    assert (history_count(cited), history_count(citing)) == histories
    drop = {"enriched_at"}  # the last read moves; nothing else may
    now = [
        {k: v for k, v in row.items() if k not in drop}
        for row in Paper.objects.order_by("pk").values()
    ]
    assert now == [{k: v for k, v in row.items() if k not in drop} for row in state]
    assert list(Citation.objects.values_list("citing", "cited")) == [(citing.pk, cited.pk)]


def test_references_link_papers_of_the_base_and_count_the_others() -> None:
    inside = PaperFactory(arxiv_id="2401.00010", openalex_id="W10")
    paper = PaperFactory(arxiv_id="2401.00011")

    paper_enrich_many(
        works=[record(11, arxiv_doi("2401.00011"), referenced_works=["W10", "W500", "W501", "W11"])]
    )

    paper.refresh_from_db()
    assert list(paper.references.values_list("cited", flat=True)) == [inside.pk]
    assert paper.references_outside == 2  # W500, W501 (and citing itself is no reference out)
    assert sorted(ReferencedWork.objects.filter(paper=paper).values_list("work_id", flat=True)) == [
        "W10",
        "W11",
        "W500",
        "W501",
    ]


def test_a_paper_enriched_later_is_linked_from_the_papers_that_cite_it() -> None:
    citing = PaperFactory(arxiv_id="2401.00020")
    later = PaperFactory(arxiv_id="2401.00021")
    paper_enrich_many(works=[record(20, arxiv_doi("2401.00020"), referenced_works=["W21", "W99"])])
    citing.refresh_from_db()
    assert citing.references_outside == 2
    before = history_count(citing)

    report = paper_enrich_many(works=[record(21, arxiv_doi("2401.00021"), referenced_works=[])])

    citing.refresh_from_db()
    assert report.counts["updated"] == 1
    assert list(Citation.objects.values_list("citing", "cited")) == [(citing.pk, later.pk)]
    assert citing.references_outside == 1
    assert history_count(citing) == before + 1  # the count changed: history says so
    assert list(later.cited_by.values_list("citing", flat=True)) == [citing.pk]


def test_a_shorter_reference_list_removes_the_link() -> None:
    cited = PaperFactory(arxiv_id="2401.00030", openalex_id="W30")
    citing = PaperFactory(arxiv_id="2401.00031")
    paper_enrich_many(works=[record(31, arxiv_doi("2401.00031"), referenced_works=["W30"])])
    assert Citation.objects.filter(citing=citing, cited=cited).exists()

    report = paper_enrich_many(works=[record(31, arxiv_doi("2401.00031"), referenced_works=["W1"])])

    citing.refresh_from_db()
    assert report.counts["updated"] == 1
    assert not Citation.objects.exists()
    assert citing.references_outside == 1


def test_an_answer_without_references_leaves_the_list_alone() -> None:
    PaperFactory(arxiv_id="2401.00040", openalex_id="W40")
    citing = PaperFactory(arxiv_id="2401.00041")
    paper_enrich_many(works=[record(41, arxiv_doi("2401.00041"), referenced_works=["W40"])])

    paper_enrich_many(works=[record(41, arxiv_doi("2401.00041"), referenced_works=None)])

    assert Citation.objects.filter(citing=citing).count() == 1


def test_a_curators_edits_are_never_overwritten() -> None:
    paper = PaperFactory(arxiv_id="2401.00050", doi=None, published_at=None, year=None)
    paper_update(
        paper=paper,
        data={"oa_url": "https://example.org/mine.pdf", "venue": "", "cited_by_count": 3},
    )
    paper_update(paper=paper, data={"venue": "Curated venue"})
    paper_update(paper=paper, data={"published_at": None, "year": 2023})
    paper.curator_edited_fields = [*paper.curator_edited_fields, "published_at"]
    paper.save(update_fields=["curator_edited_fields"])

    paper_enrich_many(
        works=[
            record(
                50,
                arxiv_doi("2401.00050"),
                cited_by_count=99,
                oa_url="https://arxiv.org/pdf/2401.00050",
                venue="OpenAlex venue",
                publication_date=date(2024, 1, 1),
            )
        ]
    )

    paper.refresh_from_db()
    assert paper.oa_url == "https://example.org/mine.pdf"
    assert paper.venue == "Curated venue"
    assert (paper.cited_by_count, paper.cited_by_as_of) == (3, None)
    assert paper.published_at is None
    assert paper.year == 2023
    assert paper.openalex_id == "W50"  # not edited: filled


def test_an_older_answer_only_fills_and_never_rolls_back() -> None:
    paper = PaperFactory(arxiv_id="2401.00060", oa_url="")
    paper_enrich_many(works=[record(60, arxiv_doi("2401.00060"), cited_by_count=10)])

    paper_enrich_many(
        works=[
            record(
                60,
                arxiv_doi("2401.00060"),
                cited_by_count=4,
                oa_url="https://example.org/a.pdf",
                as_of=date(2025, 1, 1),
            )
        ]
    )

    paper.refresh_from_db()
    assert (paper.cited_by_count, paper.cited_by_as_of) == (10, AS_OF)
    assert paper.oa_url == "https://example.org/a.pdf"  # was empty: filled


def test_the_published_versions_work_wins_over_the_preprints_and_duplicates_are_stable() -> None:
    paper = PaperFactory(arxiv_id="2401.00070", doi="10.1145/70")
    works = [
        record(71, arxiv_doi("2401.00070"), cited_by_count=500),
        record(73, "10.1145/70", cited_by_count=5),
        record(72, "10.1145/70", cited_by_count=9),
    ]

    first = paper_enrich_many(works=works)
    paper.refresh_from_db()
    second = paper_enrich_many(works=list(reversed(works)))

    assert paper.openalex_id == "W72"  # its own DOI, then the most cited duplicate
    assert [o.action for o in first.outcomes] == ["unchanged", "unchanged", "updated"]
    assert "takes OpenAlex W72 instead" in first.outcomes[0].reason
    assert second.counts["updated"] == 0
    paper.refresh_from_db()
    assert paper.openalex_id == "W72"


def test_a_work_of_no_paper_and_an_id_of_another_paper_fail_with_reasons() -> None:
    holder = PaperFactory(arxiv_id="2401.00080", openalex_id="W80")
    other = PaperFactory(arxiv_id="2401.00081")

    report = paper_enrich_many(
        works=[
            record(80, arxiv_doi("2401.00081")),
            record(81, "10.1/nobody"),
            WorkRecord(openalex_id="", doi=arxiv_doi("2401.00081")),
        ]
    )

    assert [o.action for o in report.outcomes] == ["failed", "failed", "failed"]
    assert report.outcomes[0].reason == f"OpenAlex W80 already belongs to paper #{holder.pk}"
    assert report.outcomes[1].reason == "no paper of sellm has this DOI or OpenAlex id"
    assert report.outcomes[2].reason == "no OpenAlex work id"
    other.refresh_from_db()
    assert other.openalex_id is None


def test_a_doi_written_in_capitals_matches() -> None:
    paper = PaperFactory(arxiv_id=None, doi="10.18653/v1/2023.acl-long.1")

    paper_enrich_many(works=[record(90, "10.18653/v1/2023.acl-long.1".upper().lower())])

    paper.refresh_from_db()
    assert paper.openalex_id == "W90"


def test_query_count_does_not_grow_with_the_batch() -> None:
    def run(n: int, start: int) -> int:
        papers = [PaperFactory(arxiv_id=f"2402.{start + i:05d}") for i in range(n)]
        works = [
            record(
                start + i, arxiv_doi(p.arxiv_id), cited_by_count=i, referenced_works=["W1", "W2"]
            )
            for i, p in enumerate(papers)
        ]
        with CaptureQueriesContext(connection) as queries:
            paper_enrich_many(works=works)
        return len(queries)

    assert run(3, 100) == run(30, 200)


def test_a_missing_link_is_repaired_by_the_next_enrichment() -> None:
    # Two runs at once can each miss the other's uncommitted rows; so can a deleted paper's
    # citers keep a stale count. The next enrichment of either side rebuilds the links.
    cited = PaperFactory(arxiv_id="2401.00100")
    citing = PaperFactory(arxiv_id="2401.00101")
    works = [
        record(100, arxiv_doi("2401.00100"), referenced_works=[]),
        record(101, arxiv_doi("2401.00101"), referenced_works=["W100"]),
    ]
    paper_enrich_many(works=works)
    Citation.objects.all().delete()

    report = paper_enrich_many(works=works[:1])  # only the cited paper comes round again

    assert report.counts["updated"] == 1
    assert list(Citation.objects.values_list("citing", "cited")) == [(citing.pk, cited.pk)]
