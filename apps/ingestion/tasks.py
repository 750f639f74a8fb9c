"""Celery tasks: thin, taking ids, calling the engine or one service."""

import logging

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connections

from apps.ingestion.engine import DATABASE_ERRORS, RESUME_LATER, Step, run_execute
from apps.ingestion.errors import SourceUnavailableError
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.services import openalex_refresh_due
from apps.ingestion.services import (
    arxiv_refresh_incomplete,
    harvest_sources_dispatch,
    ingest_run_enqueue,
    ingest_run_finish,
    ingest_runs_recover,
)

logger = logging.getLogger(__name__)

MAX_RETRIES = 5


@shared_task(
    bind=True,
    ignore_result=True,
    # Safe to redeliver: a page and its cursor are written in one transaction, and a page
    # another worker already wrote is dropped (apps/ingestion/engine.py). So a worker that
    # dies mid-page gives the message back instead of losing the run.
    acks_late=True,
    reject_on_worker_lost=True,
    # Transient source trouble and a lost database: retried with exponential backoff and
    # full jitter (INGEST_RETRY_BACKOFF doubling up to INGEST_RETRY_BACKOFF_MAX seconds).
    autoretry_for=(SourceUnavailableError, *DATABASE_ERRORS),
    retry_backoff=settings.INGEST_RETRY_BACKOFF,
    retry_backoff_max=settings.INGEST_RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def ingest_run_execute(self: Task, run_id: int) -> None:
    """Run (or continue) one IngestRun through the engine.

    In a worker, network kinds do one page per task and send the next; after the last retry
    of a transient source error the run fails with the reason (resumable), after the last
    database retry it is left to `ingest_runs_recover`. In-process (no broker, the embedded
    default) there is no queue to come back on: the whole run goes on here and a transient
    error fails it at once with the reason.
    """
    in_process = bool(self.request.is_eager)
    if self.request.retries >= MAX_RETRIES:
        give_up: str | None = f"gave up after {MAX_RETRIES} retries: {{error}}"
    else:
        give_up = RESUME_LATER if in_process else None
    try:
        step = run_execute(
            run_id, give_up=give_up, whole_run=in_process, interrupts=(SoftTimeLimitExceeded,)
        )
    except DATABASE_ERRORS:
        if in_process:  # recorded on the run if the database let it; nobody here retries
            logger.exception("ingest run %s: database unavailable", run_id)
            return
        connections.close_all()  # the broken connection must not serve the retry
        raise
    except SoftTimeLimitExceeded:
        run = IngestRun.objects.filter(pk=run_id).first()
        if run is not None:
            ingest_run_finish(run=run, error="a page took longer than the task time limit")
        return
    if step is Step.MORE:
        ingest_run_enqueue(run_id=run_id)


@shared_task(ignore_result=True)
def harvest_sources_dispatch_task() -> int:
    """Start the harvests that are due (beat calls this); returns how many started."""
    return len(harvest_sources_dispatch())


@shared_task(ignore_result=True)
def ingest_runs_recover_task() -> int:
    """Enqueue again the runs whose message was lost (beat calls this); returns how many."""
    return len(ingest_runs_recover())


@shared_task(ignore_result=True)
def arxiv_refresh_incomplete_task() -> int:
    """Refresh from arXiv the papers marked "record incomplete" (beat calls this); returns
    how many papers the started run asks for (0 if none, or one is still going)."""
    run = arxiv_refresh_incomplete()
    return run.total or 0 if run is not None else 0


@shared_task(ignore_result=True)
def openalex_refresh_due_task() -> int:
    """Enrich from OpenAlex the papers not enriched for OPENALEX_REFRESH_DAYS days (beat calls
    this daily); returns the started run's id, or 0 if none (one still going, or turned off)."""
    run = openalex_refresh_due()
    return run.pk if run is not None else 0
