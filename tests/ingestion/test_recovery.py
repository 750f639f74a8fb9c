"""Runs that lost their task: a broker outage while enqueueing leaves the run pending instead
of failing the request, and beat's recovery sweep enqueues stalled runs again, which resume
from their cursor."""

import logging
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_start, ingest_runs_recover
from apps.ingestion.specs import ArxivIdsSpec, ArxivQuerySpec
from apps.papers.models import Paper
from sellm.celery import app
from tests.faults.services import free_port
from tests.ingestion.standin import Standin, StandinPaper

pytestmark = pytest.mark.django_db


def stalled(run: IngestRun, minutes: int) -> None:
    IngestRun.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - timedelta(minutes=minutes)
    )


@pytest.fixture
def unreachable_broker():  # type: ignore[no-untyped-def]
    """Point the Celery app at a Redis port where nothing listens (a broker that is down)."""
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app._pool = None  # cached producer pools would keep the old broker
    app.amqp._producer_pool = None
    yield
    app.conf.task_always_eager, app.conf.broker_url = saved
    app._pool = None
    app.amqp._producer_pool = None


def test_a_broker_outage_leaves_the_run_pending_for_the_sweep(
    unreachable_broker, django_capture_on_commit_callbacks, caplog
) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        run = ingest_run_start(spec=ArxivIdsSpec(ids=["2401.00001"]))
    took = time.monotonic() - started

    run.refresh_from_db()
    assert run.status == IngestRun.Status.PENDING
    assert f"ingest run {run.pk} not enqueued (broker unavailable" in caplog.text
    assert took < 10  # Celery's publish retries, then the request goes on


def test_the_sweep_enqueues_again_only_runs_that_stopped_moving(
    settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.INGEST_STALLED_AFTER = 30 * 60
    sent: list[int] = []
    monkeypatch.setattr("apps.ingestion.services.task_send", lambda name, args: sent.append(*args))
    lost_pending = IngestRun.objects.create(kind="arxiv_query", parameters={"query": "x"})
    lost_running = IngestRun.objects.create(kind="arxiv_query", status="running")
    moving = IngestRun.objects.create(kind="arxiv_query", status="running")
    failed = IngestRun.objects.create(kind="arxiv_query", status="failed")
    for run in (lost_pending, lost_running, failed):
        stalled(run, minutes=31)
    stalled(moving, minutes=29)

    with django_capture_on_commit_callbacks(execute=True):
        recovered = ingest_runs_recover()
    with django_capture_on_commit_callbacks(execute=True):
        again = ingest_runs_recover()  # the next tick: the recovered runs just moved

    assert recovered == sent == [lost_pending.pk, lost_running.pk]
    assert again == []
    lost_running.refresh_from_db()
    assert lost_running.status == IngestRun.Status.RUNNING
    assert timezone.now() - lost_running.updated_at < timedelta(minutes=1)


def test_a_recovered_run_resumes_from_its_cursor(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper(f"2401.{i:05d}", f"Paper {i}") for i in range(1, 7)]
    arxiv_settings.INGEST_STALLED_AFTER = 60
    with django_capture_on_commit_callbacks(execute=True):
        run = ingest_run_start(spec=ArxivQuerySpec(query="x", page_size=2, max=2))
    # The run got its first page in, then its task was lost (say, with the broker's data).
    IngestRun.objects.filter(pk=run.pk).update(
        status="running", finished_at=None, parameters={"query": "x", "page_size": 2}
    )
    stalled(run, minutes=5)

    with django_capture_on_commit_callbacks(execute=True):
        assert ingest_runs_recover() == [run.pk]  # eager here: the run goes on at once

    run.refresh_from_db()
    assert (run.status, run.seen, run.created) == ("succeeded", 6, 6)
    assert [r.params["start"] for r in standin.requests] == ["0", "2", "4"]
    assert Paper.objects.count() == Paper.objects.values("arxiv_id").distinct().count() == 6


def test_in_process_a_database_error_fails_the_run_instead_of_leaving_it_running(
    monkeypatch,
) -> None:  # type: ignore[no-untyped-def]
    """Eager runs (the embedded default) have neither Celery retries nor the sweep."""
    from django.db import OperationalError

    from apps.ingestion.arxiv.runs import ArxivQueryKind
    from apps.ingestion.tasks import ingest_run_execute

    def locked(*args: object) -> None:
        raise OperationalError("database is locked")

    monkeypatch.setattr(ArxivQueryKind, "fetch", locked)
    run = IngestRun.objects.create(kind="arxiv_query", parameters={"query": "x"})

    ingest_run_execute.delay(run.pk)  # logged, not raised: nobody in-process could retry it

    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert "database is locked" in run.message
