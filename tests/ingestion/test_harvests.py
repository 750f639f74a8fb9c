"""Runs end to end through the Celery task (eager here, as in the embedded default) against the
arXiv stand-in: paging, versions, partial id lists, arXiv's errors, resuming, re-runs, and the
harvest sources that beat dispatches."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.services import (
    arxiv_ids_ingest,
    harvest_source_run,
    harvest_sources_dispatch,
    ingest_run_resume,
    ingest_run_start,
)
from apps.ingestion.specs import ArxivIdsSpec, ArxivQuerySpec, SpecError
from apps.ingestion.tasks import ingest_run_execute
from apps.papers.models import Paper, Placement
from tests.factories import HarvestSourceFactory
from tests.ingestion.standin import Scripted, Standin, StandinPaper, atom_feed

pytestmark = pytest.mark.django_db


def papers(n: int, prefix: str = "2401") -> list[StandinPaper]:
    return [
        StandinPaper(f"{prefix}.{i:05d}", f"Testing large language models, study {i}")
        for i in range(1, n + 1)
    ]


def run_now(capture, **start) -> IngestRun:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        run = ingest_run_start(**start)
    run.refresh_from_db()
    return run


def test_a_query_harvest_pages_through_every_result(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(7)

    run = run_now(
        django_capture_on_commit_callbacks,
        spec=ArxivQuerySpec(query="cat:cs.SE", max=100, page_size=3),
    )

    assert run.status == IngestRun.Status.SUCCEEDED, run.message
    assert (run.seen, run.created, run.total) == (7, 7, 7)
    assert run.cursor == {"start": 7}
    assert [r.params["start"] for r in standin.requests] == ["0", "3", "6"]
    assert Paper.objects.filter(source="arxiv", status="inbox").count() == 7


def test_max_stops_a_query_early(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(10)

    run = run_now(
        django_capture_on_commit_callbacks,
        spec=ArxivQuerySpec(query="cat:cs.SE", max=4, page_size=3),
    )

    assert (run.status, run.created, run.total) == ("succeeded", 4, 4)
    assert [r.params["max_results"] for r in standin.requests] == ["3", "1"]


def test_an_empty_result_succeeds_with_nothing(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    run = run_now(
        django_capture_on_commit_callbacks,
        spec=ArxivQuerySpec(query="ti:nothing"),
    )

    assert (run.status, run.seen, run.total) == ("succeeded", 0, 0)
    assert Paper.objects.count() == 0


def test_a_newer_version_updates_and_the_same_changes_nothing(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    paper = StandinPaper("2401.00042", "First title", versions=["2024-01-02T10:00:00Z"])
    standin.papers = [paper]
    ids = {"ids": ["2401.00042"]}
    first = run_now(django_capture_on_commit_callbacks, spec=ArxivIdsSpec(**ids))

    paper.versions.append("2024-02-03T10:00:00Z")
    paper.title = "Second title"
    second = run_now(django_capture_on_commit_callbacks, spec=ArxivIdsSpec(**ids))
    third = run_now(django_capture_on_commit_callbacks, spec=ArxivIdsSpec(**ids))

    assert (first.created, second.updated, third.unchanged) == (1, 1, 1)
    stored = Paper.objects.get()
    assert (stored.title, stored.arxiv_version) == ("Second title", 2)
    assert [v["version"] for v in stored.arxiv_versions] == [1, 2]
    assert stored.arxiv_versions[1]["date"].startswith("2024-02-03")


def test_a_rerun_of_a_harvest_changes_nothing(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(5)
    params = {"query": "cat:cs.SE", "page_size": 2}
    run_now(django_capture_on_commit_callbacks, spec=ArxivQuerySpec(**params))
    before = list(Paper.objects.order_by("pk").values())
    placements = Placement.objects.count()

    again = run_now(django_capture_on_commit_callbacks, spec=ArxivQuerySpec(**params))

    assert (again.status, again.unchanged, again.created, again.updated) == ("succeeded", 5, 0, 0)
    assert list(Paper.objects.order_by("pk").values()) == before
    assert Placement.objects.count() == placements


def test_a_partial_id_list_reports_the_missing_ids(
    arxiv_settings, standin: Standin, curator, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [*papers(2), StandinPaper("cs/0503050", "An old-style paper")]

    with django_capture_on_commit_callbacks(execute=True):
        run = ingest_run_start(
            spec=ArxivIdsSpec(ids=["2401.00001", "2401.09999", "cs/0503050v1"]),
            requested_by=curator,
        )
    run.refresh_from_db()

    assert run.status == "succeeded"
    assert (run.seen, run.created, run.failed) == (3, 2, 1)
    assert {e["record"]: e["reason"] for e in run.errors} == {
        "arXiv 2401.09999": "arXiv returned no record for this id",
    }
    assert set(Paper.objects.values_list("arxiv_id", flat=True)) == {"2401.00001", "cs/0503050"}
    assert standin.requests[0].params["id_list"] == "2401.00001,2401.09999,cs/0503050v1"


def test_a_malformed_id_is_refused_before_a_run_is_recorded() -> None:
    with pytest.raises(SpecError, match="Not arXiv identifiers: not-an-id"):
        ArxivIdsSpec(ids=["2401.00001", "not-an-id"])
    stored = IngestRun.objects.create(kind="arxiv_ids", parameters={"ids": ["not-an-id"]})

    ingest_run_execute.delay(stored.pk)  # a row written by hand is checked by the engine too

    stored.refresh_from_db()
    assert stored.status == "failed"
    assert stored.message == "bad parameters: Not arXiv identifiers: not-an-id"


def test_an_unreadable_entry_is_one_failure_not_two(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper("2401.00001", "Fine"), StandinPaper("2401.00002", " ")]

    run = run_now(
        django_capture_on_commit_callbacks,
        spec=ArxivIdsSpec(ids=["2401.00001", "2401.00002"]),
    )

    assert (run.status, run.seen, run.created, run.failed) == ("succeeded", 2, 1, 1)
    assert run.errors == [
        {"record": "http://arxiv.org/abs/2401.00002v1", "reason": "entry has no title"}
    ]


def test_arxiv_ids_ingest_refuses_bad_input_before_recording_anything(
    arxiv_settings, standin: Standin
) -> None:  # type: ignore[no-untyped-def]
    from apps.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="Not arXiv identifiers: banana"):
        arxiv_ids_ingest(ids=["2401.00001", "banana"])
    with pytest.raises(ApplicationError, match="at least one"):
        arxiv_ids_ingest(ids=["  "])
    assert IngestRun.objects.count() == 0


def test_the_error_feed_fails_the_run_with_arxivs_message_and_stores_nothing(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    run = run_now(
        django_capture_on_commit_callbacks,
        spec=ArxivQuerySpec(query="bad:field"),
    )

    assert run.status == "failed"
    assert run.message == "arXiv says: malformed query: unknown field prefix"
    assert Paper.objects.count() == 0
    assert run.seen == 0


def test_a_truncated_page_is_asked_again_and_the_run_completes(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(6)
    whole = atom_feed(standin.papers[2:4], total=6, start=2, per_page=2)
    params = {"query": "cat:cs.SE", "page_size": 2}

    # The first page is fine, the second arrives cut off mid-entry, once.
    original = standin.answer

    def answer(path, query):  # type: ignore[no-untyped-def]
        if query.get("start") == "2" and not getattr(answer, "done", False):
            answer.done = True  # type: ignore[attr-defined]
            return 200, whole[: len(whole) // 2], {}
        return original(path, query)

    standin.answer = answer  # type: ignore[method-assign]
    run = run_now(django_capture_on_commit_callbacks, spec=ArxivQuerySpec(**params))

    assert (run.status, run.created, run.seen) == ("succeeded", 6, 6)
    assert [r.params["start"] for r in standin.requests] == ["0", "2", "2", "4"]


def test_a_transient_failure_is_retried_and_the_run_completes(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(2)
    standin.script.append(Scripted(503))

    run = run_now(django_capture_on_commit_callbacks, spec=ArxivQuerySpec(query="x"))

    assert (run.status, run.created) == ("succeeded", 2)
    assert len(standin.requests) == 2


def test_arxiv_down_for_longer_fails_the_run_resumably(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(2)
    standin.script.extend([Scripted(503), Scripted(200, b"Rate exceeded.")])

    run = run_now(django_capture_on_commit_callbacks, spec=ArxivQuerySpec(query="x"))

    assert run.status == "failed"
    assert "Rate exceeded." in run.message
    assert "resume" in run.message
    with django_capture_on_commit_callbacks(execute=True):
        ingest_run_resume(run=run)
    run.refresh_from_db()
    assert (run.status, run.created) == ("succeeded", 2)


def test_the_last_celery_retry_gives_up_and_fails_the_run(arxiv_settings, standin: Standin) -> None:  # type: ignore[no-untyped-def]
    from apps.ingestion.tasks import MAX_RETRIES, ingest_run_execute

    standin.script.extend([Scripted(503), Scripted(503)])
    run = IngestRun.objects.create(kind="arxiv_query", parameters={"query": "x"})

    ingest_run_execute.apply(args=[run.pk], retries=MAX_RETRIES)

    run.refresh_from_db()
    assert run.status == "failed"
    assert run.message.startswith(f"gave up after {MAX_RETRIES} retries: arXiv unavailable")


def test_an_oai_harvest_follows_tokens_and_moves_the_source_on(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(5)
    standin.response_date = "2026-11-20T08:00:00Z"
    source = HarvestSourceFactory(kind=HarvestSource.Kind.OAI_SET, oai_set="cs", query="")

    with django_capture_on_commit_callbacks(execute=True):
        run = harvest_source_run(source=source)
    run.refresh_from_db()
    source.refresh_from_db()

    assert run.status == "succeeded", run.message
    assert (run.created, run.total) == (5, 5)
    assert run.cursor["pages"] == 3
    assert source.harvested_until == datetime(2026, 11, 20, 8, tzinfo=UTC)
    assert source.last_run_at is not None
    first = standin.requests_to("/oai")[0].params
    assert "from" not in first

    # The next harvest is incremental: from the last responseDate, nothing new → empty.
    standin.papers[0].versions.append("2026-11-21T00:00:00Z")
    with django_capture_on_commit_callbacks(execute=True):
        second = harvest_source_run(source=source)
    second.refresh_from_db()

    assert standin.requests_to("/oai")[-1].params["from"] == "2026-11-20"
    assert (second.status, second.updated, second.seen) == ("succeeded", 1, 1)


def test_beat_dispatch_starts_due_sources_once(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    now = datetime(2026, 11, 24, 12, tzinfo=UTC)
    due = HarvestSourceFactory(interval=timedelta(hours=1), last_run_at=now - timedelta(hours=2))
    HarvestSourceFactory(interval=timedelta(hours=1), last_run_at=now - timedelta(minutes=10))
    HarvestSourceFactory(enabled=False)
    never = HarvestSourceFactory(last_run_at=None)

    with django_capture_on_commit_callbacks(execute=False):
        started = harvest_sources_dispatch(now=now)
        again = harvest_sources_dispatch(now=now)  # the first runs are still pending

    assert {run.source_id for run in started} == {due.pk, never.pk}
    assert again == []
    assert started[0].parameters == ArxivQuerySpec(query=due.query, max=due.max_results).to_json()


def test_new_papers_get_suggested_placements(
    survey, arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper(
            "2501.00001",
            "Quantization and pruning for low-latency LLM serving on edge devices",
            abstract="We compress models for deployment and measure inference throughput.",
        )
    ]

    run = run_now(django_capture_on_commit_callbacks, spec=ArxivIdsSpec(ids=["2501.00001"]))

    paper = Paper.objects.get(arxiv_id="2501.00001")
    suggestions = list(paper.placements.select_related("phase"))
    assert run.status == "succeeded"
    assert suggestions
    assert {p.origin for p in suggestions} == {"suggested"}
    assert {p.review_state for p in suggestions} == {"pending"}
    phase_only = [p for p in suggestions if p.challenge_id is None]
    assert [p.phase.slug for p in phase_only] == ["deployment-operations"]
    assert "quantization" in phase_only[0].evidence
    assert 0 < phase_only[0].confidence <= 1


def test_a_stalled_harvest_no_longer_blocks_its_source_and_is_superseded(
    django_capture_on_commit_callbacks, settings
) -> None:  # type: ignore[no-untyped-def]
    """One definition of stalled: not moved for INGEST_STALLED_AFTER seconds, as the sweep."""
    settings.INGEST_STALLED_AFTER = 30 * 60
    now = datetime.now(tz=UTC)
    source = HarvestSourceFactory()
    stalled = IngestRun.objects.create(kind="arxiv_query", source=source, status="running")
    IngestRun.objects.filter(pk=stalled.pk).update(updated_at=now - timedelta(minutes=31))
    slow_source = HarvestSourceFactory()
    slow = IngestRun.objects.create(kind="arxiv_query", source=slow_source, status="running")
    IngestRun.objects.filter(pk=slow.pk).update(updated_at=now - timedelta(minutes=29))

    assert list(IngestRun.objects.stalled()) == [stalled]
    with django_capture_on_commit_callbacks(execute=False):
        restarted = harvest_source_run(source=source)
        blocked = harvest_source_run(source=slow_source)

    assert restarted is not None
    assert blocked is None
    stalled.refresh_from_db()
    assert (stalled.status, stalled.message) == (
        "failed",
        f"stalled; superseded by run #{restarted.pk}",
    )
    assert list(IngestRun.objects.stalled()) == []  # nothing left for the sweep to send twice


def test_the_beat_schedule_dispatches_with_an_expiry_shorter_than_its_interval(settings) -> None:  # type: ignore[no-untyped-def]
    from sellm.celery import app

    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, name
        assert 0 < entry["options"]["expires"] < entry["schedule"], name
    assert {
        "apps.ingestion.tasks.harvest_sources_dispatch_task",
        "apps.ingestion.tasks.ingest_runs_recover_task",
    } <= {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
