"""The IngestRun lifecycle shared by every kind of ingestion."""

import pytest

from apps.ingestion.models import IngestRun
from apps.ingestion.services import (
    ingest_run_claim,
    ingest_run_finish,
    ingest_run_record,
    ingest_run_resume,
    ingest_run_start,
)
from apps.ingestion.specs import ArxivIdsSpec
from apps.papers.services.upsert import UpsertOutcome, UpsertReport
from tests.factories import IngestRunFactory

pytestmark = pytest.mark.django_db


def test_a_run_is_enqueued_only_after_commit(
    django_capture_on_commit_callbacks, curator, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    sent = []
    monkeypatch.setattr("apps.ingestion.services.task_send", lambda name, args: sent.append(*args))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = ingest_run_start(spec=ArxivIdsSpec(ids=["2401.01234"]), requested_by=curator)
        assert sent == []
    for callback in callbacks:
        callback()

    assert sent == [run.pk]
    assert run.status == IngestRun.Status.PENDING
    assert run.requested_by == curator


def test_outcomes_accumulate_with_errors_and_cursor() -> None:
    run = IngestRunFactory()
    report = UpsertReport(
        [
            UpsertOutcome("a", "created", 1),
            UpsertOutcome("b", "unchanged", 2),
            UpsertOutcome("c", "failed", reason="no title"),
        ]
    )

    ingest_run_record(run=run, report=report, cursor={"start": 3})
    ingest_run_record(run=run, report=report, cursor={"start": 6})

    run.refresh_from_db()
    assert (run.seen, run.created, run.unchanged, run.failed) == (6, 2, 2, 2)
    assert run.errors == [{"record": "c", "reason": "no title"}] * 2
    assert run.cursor == {"start": 6}


def test_claim_finish_and_resume() -> None:
    run = IngestRunFactory()

    claimed = ingest_run_claim(run_id=run.pk)
    assert claimed is not None
    assert claimed.status == IngestRun.Status.RUNNING
    assert claimed.started_at is not None
    ingest_run_finish(run=claimed, error="arXiv said: malformed query")
    assert ingest_run_claim(run_id=run.pk) is None

    resumed = ingest_run_resume(run=claimed)

    assert resumed.status == IngestRun.Status.PENDING
    assert resumed.message == ""
    assert ingest_run_claim(run_id=run.pk) is not None


def test_a_stalled_run_can_be_resumed_a_moving_one_cannot(
    settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    """A run whose in-process thread died with its process stays "running"; once stalled
    it can be resumed like a failed one (there is no beat sweep under `make run`)."""
    from datetime import timedelta

    from django.utils import timezone

    sent: list[int] = []
    monkeypatch.setattr("apps.ingestion.services.task_send", lambda name, args: sent.append(*args))
    settings.INGEST_STALLED_AFTER = 60
    stuck = IngestRunFactory(status=IngestRun.Status.RUNNING, cursor={"offset": 100})
    moving = IngestRunFactory(status=IngestRun.Status.RUNNING)
    IngestRun.objects.filter(pk=stuck.pk).update(updated_at=timezone.now() - timedelta(seconds=61))
    stuck.refresh_from_db()

    assert (stuck.is_resumable, moving.is_resumable) == (True, False)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_run_resume(run=moving)
        resumed = ingest_run_resume(run=stuck)

    assert (resumed.status, resumed.cursor) == (IngestRun.Status.PENDING, {"offset": 100})
    assert sent == [stuck.pk]
    moving.refresh_from_db()
    assert moving.status == IngestRun.Status.RUNNING


def test_a_page_past_the_task_time_limit_fails_the_run_resumably(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from celery.exceptions import SoftTimeLimitExceeded

    from apps.ingestion.arxiv.runs import ArxivIdsKind
    from apps.ingestion.tasks import ingest_run_execute

    def slow(*args: object) -> None:
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(ArxivIdsKind, "fetch", slow)
    run = IngestRunFactory(cursor={"offset": 100})

    ingest_run_execute(run.pk)  # as a worker calls it (not eager)

    run.refresh_from_db()
    assert (run.status, run.message) == ("failed", "a page took longer than the task time limit")
    assert run.cursor == {"offset": 100}
