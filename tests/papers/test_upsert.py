"""paper_upsert_many: matching, version rules, curator protection, and bad records."""

from datetime import UTC, datetime

import pytest

from apps.core.services import curated_save
from apps.papers.models import Author, Authorship, Paper
from apps.papers.records import AuthorRecord, PaperRecord, VersionRecord
from apps.papers.services import paper_upsert, paper_upsert_many
from apps.papers.services import upsert as upsert_module
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

ARXIV = Paper.Source.ARXIV


def arxiv_record(version: int = 1, **overrides: object) -> PaperRecord:
    fields: dict = {
        "title": "Testing LLM Agents",
        "authors": [AuthorRecord("Ada Lovelace"), AuthorRecord("Alan Turing")],
        "abstract": "We test  agents.\n  Carefully.",
        "arxiv_id": "2401.01234",
        "arxiv_version": version,
        "published_at": datetime(2024, 1, 2, tzinfo=UTC),
        "revised_at": datetime(2024, 1, 1 + version, tzinfo=UTC),
        "primary_category": "cs.SE",
        "categories": ["cs.SE", "cs.AI"],
        "label": f"arXiv 2401.01234v{version}",
    }
    fields.update(overrides)
    return PaperRecord(**fields)


def test_creates_a_paper_with_everything_the_record_carries() -> None:
    outcome = paper_upsert(record=arxiv_record(), source=ARXIV)

    paper = Paper.objects.get(pk=outcome.paper_id)
    assert outcome.action == "created"
    assert paper.title == "Testing LLM Agents"
    assert paper.abstract == "We test agents. Carefully."  # hard wraps collapsed
    assert paper.year == 2024
    assert paper.status == Paper.Status.INBOX
    assert paper.author_names == "Ada Lovelace; Alan Turing"
    assert list(paper.authorships.order_by("position").values_list("author__name", "position")) == [
        ("Ada Lovelace", 0),
        ("Alan Turing", 1),
    ]
    assert sorted(paper.categories.values_list("code", flat=True)) == ["cs.AI", "cs.SE"]
    assert paper.arxiv_versions == [{"version": 1, "date": "2024-01-02T00:00:00+00:00"}]
    assert paper.history.count() == 1


def test_the_same_record_twice_changes_nothing() -> None:
    first = paper_upsert(record=arxiv_record(), source=ARXIV)
    second = paper_upsert(record=arxiv_record(), source=ARXIV)

    assert (first.action, second.action) == ("created", "unchanged")
    assert first.paper_id == second.paper_id
    assert Paper.objects.count() == 1
    assert Paper.objects.get().history.count() == 1


def test_a_newer_version_updates_and_an_older_one_does_not() -> None:
    paper_upsert(record=arxiv_record(2), source=ARXIV)

    newer = paper_upsert(
        record=arxiv_record(
            3, title="Testing LLM Agents, Revised", authors=[AuthorRecord("Grace Hopper")]
        ),
        source=ARXIV,
    )
    older = paper_upsert(record=arxiv_record(1, title="Old Title"), source=ARXIV)

    paper = Paper.objects.get()
    assert (newer.action, older.action) == ("updated", "unchanged")
    assert paper.title == "Testing LLM Agents, Revised"
    assert paper.arxiv_version == 3
    assert paper.author_names == "Grace Hopper"
    assert [v["version"] for v in paper.arxiv_versions] == [2, 3]
    assert paper.history.count() == 2


def test_same_version_only_fills_what_the_paper_lacks() -> None:
    paper_upsert(record=arxiv_record(journal_ref=""), source=ARXIV)

    outcome = paper_upsert(
        record=arxiv_record(title="Changed Title", journal_ref="ICSE 2025", doi="10.1145/XYZ"),
        source=ARXIV,
    )

    paper = Paper.objects.get()
    assert outcome.action == "updated"
    assert paper.title == "Testing LLM Agents"
    assert paper.journal_ref == "ICSE 2025"
    assert paper.doi == "10.1145/xyz"


def test_a_curator_edit_survives_a_newer_version() -> None:
    outcome = paper_upsert(record=arxiv_record(1), source=ARXIV)
    paper = Paper.objects.get(pk=outcome.paper_id)
    paper.title = "Curated Title"
    curated_save(instance=paper, changed_fields=["title", "authors"])

    paper_upsert(
        record=arxiv_record(
            2,
            title="Machine Title",
            abstract="New abstract.",
            authors=[AuthorRecord("Someone Else")],
        ),
        source=ARXIV,
    )

    paper.refresh_from_db()
    assert paper.title == "Curated Title"
    assert paper.abstract == "New abstract."
    assert paper.author_names == "Ada Lovelace; Alan Turing"
    assert paper.arxiv_version == 2


def test_doi_joins_a_preprint_and_its_published_version() -> None:
    published = PaperRecord(
        title="Testing LLM agents (journal version)",
        doi="https://doi.org/10.1145/ABC",
        year=2025,
        venue="TOSEM",
        bibtex_key="lovelace2025",
        bibtex_type="article",
        label="line 1",
    )
    first = paper_upsert(record=published, source=Paper.Source.BIBTEX)

    second = paper_upsert(record=arxiv_record(2, doi="10.1145/abc"), source=ARXIV)

    paper = Paper.objects.get()
    assert first.paper_id == second.paper_id
    assert second.action == "updated"
    assert paper.arxiv_id == "2401.01234"
    assert paper.venue == "TOSEM"
    assert paper.bibtex_key == "lovelace2025"
    assert paper.source == Paper.Source.BIBTEX


def test_title_year_and_first_author_match_when_no_identifier_does() -> None:
    paper_upsert(record=arxiv_record(), source=ARXIV)
    same = PaperRecord(
        title="{T}esting {LLM} agents",
        year=2024,
        authors=[AuthorRecord("A. Lovelace")],
        venue="ICSE",
        label="line 3",
    )
    other_year = PaperRecord(
        title="Testing LLM agents",
        year=2019,
        authors=[AuthorRecord("Ada Lovelace")],
        label="line 9",
    )

    report = paper_upsert_many(records=[same, other_year], source=Paper.Source.BIBTEX)

    assert [o.action for o in report.outcomes] == ["updated", "created"]
    assert Paper.objects.count() == 2
    assert Paper.objects.get(arxiv_id="2401.01234").venue == "ICSE"


def test_duplicates_inside_one_batch_become_one_paper() -> None:
    records = [
        PaperRecord(title="A Study", year=2023, authors=[AuthorRecord("Bo Li")], label="line 1"),
        PaperRecord(
            title="A study.",
            year=2023,
            authors=[AuthorRecord("Bo Li")],
            venue="FSE",
            label="line 7",
        ),
    ]

    report = paper_upsert_many(records=records, source=Paper.Source.BIBTEX)

    assert [o.action for o in report.outcomes] == ["created", "unchanged"]
    assert "line 1" in report.outcomes[1].reason
    assert Paper.objects.get().venue == "FSE"


def test_bad_records_are_reported_and_the_rest_land() -> None:
    records = [
        PaperRecord(title="   ", label="line 1"),
        PaperRecord(title="Fine", arxiv_id="not-an-id", label="line 5"),
        PaperRecord(title="Fine too", year=3024, label="line 9"),
        PaperRecord(
            title="Good paper", authors=[AuthorRecord("Ann Ng")], year=2022, label="line 12"
        ),
    ]

    report = paper_upsert_many(records=records, source=Paper.Source.BIBTEX)

    assert [(o.label, o.action) for o in report.outcomes] == [
        ("line 1", "failed"),
        ("line 5", "failed"),
        ("line 9", "failed"),
        ("line 12", "created"),
    ]
    assert "no title" in report.outcomes[0].reason
    assert "not-an-id" in report.outcomes[1].reason
    assert "3024" in report.outcomes[2].reason
    assert report.summary() == "created=1 updated=0 unchanged=0 failed=3"
    assert Paper.objects.get().title == "Good paper"


def test_an_identifier_owned_by_another_paper_fails_that_record() -> None:
    PaperFactory(arxiv_id="2401.00001", doi=None, title="First")
    PaperFactory(arxiv_id=None, doi="10.1/taken", title="Second")

    outcome = paper_upsert(
        record=PaperRecord(title="First", arxiv_id="2401.00001", doi="10.1/taken", label="x"),
        source=ARXIV,
    )

    assert outcome.action == "failed"
    assert "10.1/taken" in outcome.reason


def test_a_taken_citation_key_is_reported_not_fatal() -> None:
    PaperFactory(bibtex_key="smith2020", title="Other paper")

    outcome = paper_upsert(
        record=PaperRecord(title="New paper", year=2022, bibtex_key="smith2020", label="line 2"),
        source=Paper.Source.BIBTEX,
    )

    assert outcome.action == "created"
    assert "smith2020" in outcome.reason
    assert Paper.objects.get(pk=outcome.paper_id).bibtex_key == "anon2022new"


def test_new_papers_get_stored_citation_keys_unique_across_the_base() -> None:
    PaperFactory(bibtex_key="hou2023large", title="Taken")
    records = [
        PaperRecord(
            title="Large models", year=2023, authors=[AuthorRecord("Xinyi Hou")], label=str(i)
        )
        for i in range(2)
    ]
    records[1].title = "Large models, again"

    report = paper_upsert_many(records=records, source=ARXIV)

    keys = [Paper.objects.get(pk=o.paper_id).bibtex_key for o in report.outcomes]
    assert keys == ["hou2023largea", "hou2023largeb"]


def test_authors_are_shared_across_papers_by_folded_name() -> None:
    paper_upsert(record=arxiv_record(), source=ARXIV)
    paper_upsert(
        record=PaperRecord(
            title="Another", arxiv_id="2402.00002", authors=[AuthorRecord("ada  LOVELACE")]
        ),
        source=ARXIV,
    )

    assert Author.objects.filter(name_key="ada lovelace").count() == 1
    assert Authorship.objects.filter(author__name_key="ada lovelace").count() == 2


def test_versions_from_every_source_are_merged_by_number() -> None:
    paper_upsert(
        record=arxiv_record(
            2,
            arxiv_versions=[
                VersionRecord(1, datetime(2024, 1, 2, tzinfo=UTC)),
                VersionRecord(2, datetime(2024, 3, 4, tzinfo=UTC)),
            ],
        ),
        source=ARXIV,
    )

    assert Paper.objects.get().arxiv_versions == [
        {"version": 1, "date": "2024-01-02T00:00:00+00:00"},
        {"version": 2, "date": "2024-03-04T00:00:00+00:00"},
    ]


def test_a_batch_that_races_a_concurrent_writer_is_retried(monkeypatch) -> None:
    """The first attempt cannot see a paper another writer just stored; the database's unique
    constraint refuses the insert and the retry matches the stored paper instead."""
    PaperFactory(arxiv_id="2401.01234", arxiv_version=1, title="Testing LLM Agents")
    real_load_index = upsert_module._load_index
    calls = []

    def blind_first_time(records):  # type: ignore[no-untyped-def]
        calls.append(1)
        return upsert_module._Index() if len(calls) == 1 else real_load_index(records)

    monkeypatch.setattr(upsert_module, "_load_index", blind_first_time)

    outcome = paper_upsert(record=arxiv_record(2), source=ARXIV)

    assert len(calls) == 2
    assert outcome.action == "updated"
    assert Paper.objects.count() == 1
