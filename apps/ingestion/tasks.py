"""Celery tasks: thin, taking ids, calling services."""

import logging
import random

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, connections

from apps.ingestion.arxiv.errors import ArxivUnavailableError
from apps.ingestion.models import IngestRun
from apps.ingestion.processors import PROCESSORS
from apps.ingestion.services import (
    harvest_sources_dispatch,
    ingest_run_claim,
    ingest_run_finish,
    ingest_runs_recover,
)

logger = logging.getLogger(__name__)

MAX_RETRIES = 5
# The database went away (restarted, failed over, a dropped connection): nothing of the page
# was committed, so the task is retried whole on a fresh connection.
DATABASE_ERRORS = (OperationalError, InterfaceError)


def retry_countdown(retries: int) -> float:
    """Exponential backoff with jitter for the `retries`-th retry (0-based)."""
    ceiling = min(settings.INGEST_RETRY_BACKOFF_MAX, settings.INGEST_RETRY_BACKOFF * 2**retries)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


@shared_task(
    bind=True,
    ignore_result=True,
    # Safe to redeliver: a page and its cursor are written in one transaction, and a page
    # another worker already wrote is dropped (apps/ingestion/arxiv/runs.py). So a worker
    # that dies mid-page gives the message back instead of losing the run.
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def ingest_run_execute(self: Task, run_id: int) -> None:
    """Run (or continue) one IngestRun with the processor for its kind; arXiv processors do
    one page per task and enqueue the next. Transient arXiv trouble and a lost database are
    retried here with backoff and jitter; after the last arXiv retry the run fails with the
    reason (resumable), after the last database retry it is left to `ingest_runs_recover`."""
    try:
        _execute(self, run_id)
    except DATABASE_ERRORS as error:
        if self.request.is_eager:
            raise  # in-process: the caller's own request or command reports it
        connections.close_all()  # the broken connection must not serve the retry
        if self.request.retries >= MAX_RETRIES:
            logger.error("ingest run %s: database unavailable, left for recovery", run_id)
            raise
        countdown = retry_countdown(self.request.retries)
        logger.warning("ingest run %s: database: %s; retrying in %.0fs", run_id, error, countdown)
        raise self.retry(exc=error, countdown=countdown) from error


def _execute(task: Task, run_id: int) -> None:
    run = ingest_run_claim(run_id=run_id)
    if run is None:
        logger.info("ingest run %s missing or finished; skipping", run_id)
        return
    processor = PROCESSORS.get(IngestRun.Kind(run.kind))
    if processor is None:
        ingest_run_finish(run=run, error=f"no processor for runs of kind {run.kind!r}")
        return
    try:
        processor(run)
    except ArxivUnavailableError as error:
        if task.request.retries >= MAX_RETRIES:
            ingest_run_finish(run=run, error=f"gave up after {MAX_RETRIES} retries: {error}")
            return
        if task.request.is_eager:
            # No queue to come back on (the embedded default): the client has already retried
            # with backoff; the run fails with the reason and can be resumed.
            ingest_run_finish(run=run, error=f"{error} (resume the run to try again)")
            return
        countdown = retry_countdown(task.request.retries)
        logger.warning("ingest run %s: %s; retrying in %.0fs", run_id, error, countdown)
        raise task.retry(exc=error, countdown=countdown) from error
    except SoftTimeLimitExceeded:
        ingest_run_finish(run=run, error="a page took longer than the task time limit")
    except Exception as error:
        if isinstance(error, DATABASE_ERRORS) and not task.request.is_eager:
            raise  # not the run's fault: the task retries on a fresh connection
        # A bug must not leave the run "running" for ever; record it, then let it surface.
        # (Eager runs have no retry and no sweep, so a database error is recorded too.)
        ingest_run_finish(run=run, error=f"internal error: {error!r}")
        raise


@shared_task(ignore_result=True)
def harvest_sources_dispatch_task() -> int:
    """Start the harvests that are due (beat calls this); returns how many started."""
    return len(harvest_sources_dispatch())


@shared_task(ignore_result=True)
def ingest_runs_recover_task() -> int:
    """Enqueue again the runs whose message was lost (beat calls this); returns how many."""
    return len(ingest_runs_recover())
