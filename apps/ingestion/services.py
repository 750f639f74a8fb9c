"""The life of an IngestRun: started (and enqueued), claimed by a worker, fed outcomes page
by page with its cursor, finished. arXiv harvests and BibTeX imports both run through these,
so every run is visible, counted the same way and resumable from its cursor."""

import logging
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.services import UpsertReport

logger = logging.getLogger(__name__)


def ingest_run_start(
    *,
    kind: str,
    parameters: dict,
    requested_by: AbstractBaseUser | None = None,
    source: HarvestSource | None = None,
    total: int | None = None,
) -> IngestRun:
    """Record a run and enqueue its execution once the row is committed."""
    from apps.ingestion.tasks import ingest_run_execute  # tasks import services

    with transaction.atomic():
        run = IngestRun.objects.create(
            kind=kind,
            parameters=parameters,
            requested_by=requested_by if requested_by and requested_by.is_authenticated else None,
            source=source,
            total=total,
        )
        transaction.on_commit(partial(ingest_run_execute.delay, run.pk))
    return run


@transaction.atomic
def ingest_run_claim(*, run_id: int) -> IngestRun | None:
    """Mark a pending (or resumed) run as running; None if it is missing or finished.

    Safe to call again for a running run (a redelivered task continues from the cursor).
    """
    run = IngestRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or run.is_finished:
        return None
    run.status = IngestRun.Status.RUNNING
    run.started_at = run.started_at or timezone.now()
    run.save(update_fields=["status", "started_at", "updated_at"])
    return run


@transaction.atomic
def ingest_run_record(*, run: IngestRun, report: UpsertReport, cursor: dict | None = None) -> None:
    """Add one page's outcomes to the run's counts and errors, and move its cursor.

    Call it in the same transaction as the page's writes: then a crash either keeps both the
    papers and the advanced cursor, or neither, and a resumed run never counts a page twice.
    """
    counts = report.counts
    IngestRun.objects.filter(pk=run.pk).update(
        seen=F("seen") + len(report.outcomes),
        created=F("created") + counts["created"],
        updated=F("updated") + counts["updated"],
        unchanged=F("unchanged") + counts["unchanged"],
        failed=F("failed") + counts["failed"],
        updated_at=timezone.now(),
    )
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    errors = [
        {"record": outcome.label, "reason": outcome.reason}
        for outcome in report.outcomes
        if outcome.action == "failed"
    ]
    room = IngestRun.MAX_ERRORS - len(locked.errors)
    if errors and room > 0:
        locked.errors = [*locked.errors, *errors[:room]]
    if cursor is not None:
        locked.cursor = cursor
    locked.save(update_fields=["errors", "cursor"])
    run.refresh_from_db()


@transaction.atomic
def ingest_run_finish(*, run: IngestRun, error: str = "") -> IngestRun:
    """End a run: succeeded, or failed with `error` (the cursor stays, so it can resume)."""
    run.refresh_from_db()
    run.status = IngestRun.Status.FAILED if error else IngestRun.Status.SUCCEEDED
    run.message = error
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "message", "finished_at", "updated_at"])
    if error:
        logger.warning("ingest run %s failed: %s", run.pk, error)
    return run


def ingest_run_resume(*, run: IngestRun) -> IngestRun:
    """Send a failed run back to the queue; it continues from its saved cursor."""
    from apps.ingestion.tasks import ingest_run_execute

    with transaction.atomic():
        run = IngestRun.objects.select_for_update().get(pk=run.pk)
        if run.status != IngestRun.Status.FAILED:
            return run
        run.status = IngestRun.Status.PENDING
        run.finished_at = None
        run.message = ""
        run.save(update_fields=["status", "finished_at", "message", "updated_at"])
        transaction.on_commit(partial(ingest_run_execute.delay, run.pk))
    return run
