"""The life of an IngestRun: started (and enqueued), claimed by a worker, fed outcomes page
by page with its cursor, finished. arXiv harvests and BibTeX imports both run through these,
so every run is visible, counted the same way and resumable from its cursor."""

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from apps.core.exceptions import ApplicationError
from apps.ingestion import limits
from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.identifiers import parse_arxiv_id
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
    with transaction.atomic():
        run = IngestRun.objects.create(
            kind=kind,
            parameters=parameters,
            requested_by=requested_by if requested_by and requested_by.is_authenticated else None,
            source=source,
            total=total,
        )
        transaction.on_commit(partial(ingest_run_enqueue, run_id=run.pk))
    return run


def ingest_run_enqueue(*, run_id: int) -> bool:
    """Send a run's task to the broker; False (logged, not raised) if the broker is down.

    The run is already committed, pending or running with its cursor, so an outage must not
    turn a started import into an error page: `ingest_runs_recover` sends it again later.
    """
    from apps.ingestion.tasks import ingest_run_execute  # tasks import services

    try:
        ingest_run_execute.delay(run_id)
    except (BrokerError, OSError) as error:
        logger.warning(
            "ingest run %s not enqueued (broker unavailable: %s); the recovery sweep will",
            run_id,
            error,
        )
        return False
    return True


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
    with transaction.atomic():
        run = IngestRun.objects.select_for_update().get(pk=run.pk)
        if run.status != IngestRun.Status.FAILED:
            return run
        run.status = IngestRun.Status.PENDING
        run.finished_at = None
        run.message = ""
        run.save(update_fields=["status", "finished_at", "message", "updated_at"])
        transaction.on_commit(partial(ingest_run_enqueue, run_id=run.pk))
    return run


def ingest_runs_recover(*, now: datetime | None = None) -> list[int]:
    """Enqueue again every pending or running run that has not moved for INGEST_RECOVER_AFTER
    seconds; returns their ids.

    Every claim and every page moves a run's `updated_at`, so such a run has most likely lost
    its message: a broker restarted without persistence, a publish during a broker outage, a
    task that gave up on an unreachable database. The run resumes from its cursor. Should the
    old message still turn up, the two copies meet at the cursor check and one of them stops,
    so a run is never written twice. Each recovered run's `updated_at` moves, so the next
    sweep leaves it alone for another INGEST_RECOVER_AFTER.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.INGEST_RECOVER_AFTER)
    active = [IngestRun.Status.PENDING, IngestRun.Status.RUNNING]
    stalled = IngestRun.objects.filter(status__in=active, updated_at__lt=cutoff)
    recovered = []
    for run_id in stalled.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Conditional, so two overlapping sweeps never both take the same run.
            taken = IngestRun.objects.filter(
                pk=run_id, status__in=active, updated_at__lt=cutoff
            ).update(updated_at=now)
            if taken:
                transaction.on_commit(partial(ingest_run_enqueue, run_id=run_id))
                recovered.append(run_id)
    if recovered:
        logger.warning("re-enqueued %d stalled ingest runs: %s", len(recovered), recovered)
    return recovered


# --- Runs started without the queue, and harvest sources --------------------------------


@transaction.atomic
def ingest_run_open(
    *,
    kind: str,
    parameters: dict,
    requested_by: AbstractBaseUser | None = None,
    source: HarvestSource | None = None,
) -> IngestRun:
    """Record a run that the caller carries out itself (the `ingest_arxiv` command), claimed
    and running. Nothing is enqueued; each call records a new run."""
    return IngestRun.objects.create(
        kind=kind,
        parameters=parameters,
        status=IngestRun.Status.RUNNING,
        started_at=timezone.now(),
        requested_by=requested_by if requested_by and requested_by.is_authenticated else None,
        source=source,
    )


def arxiv_ids_ingest(
    *, ids: Sequence[str], requested_by: AbstractBaseUser | None = None
) -> IngestRun:
    """Start a run that adds (or refreshes) papers by arXiv id, with or without version.

    Raises ApplicationError, naming them, if any id is not an arXiv identifier; nothing is
    recorded then. Each call starts a new run; running the same ids again changes no paper.
    """
    cleaned, bad = [], []
    for raw in ids:
        raw = raw.strip()
        if not raw:
            continue
        parsed = parse_arxiv_id(raw)
        if parsed is None:
            bad.append(raw)
            continue
        arxiv_id, version = parsed
        cleaned.append(f"{arxiv_id}v{version}" if version else arxiv_id)
    if bad:
        raise ApplicationError(f"Not arXiv identifiers: {', '.join(bad[:10])}")
    if not cleaned:
        raise ApplicationError("Give at least one arXiv identifier.")
    cleaned = list(dict.fromkeys(cleaned))
    if len(cleaned) > limits.MAX_IDS:
        raise ApplicationError(
            f"{len(cleaned):,} arXiv identifiers; one request takes at most {limits.MAX_IDS:,}."
        )
    return ingest_run_start(
        kind=IngestRun.Kind.ARXIV_IDS,
        parameters={"ids": cleaned},
        requested_by=requested_by,
        total=len(cleaned),
    )


def harvest_source_parameters(*, source: HarvestSource) -> tuple[str, dict]:
    """The run kind and parameters one harvest of `source` uses (OAI sets go on from
    `harvested_until`, the last responseDate of a successful harvest)."""
    if source.kind == HarvestSource.Kind.OAI_SET:
        parameters = {"set": source.oai_set, "metadata_prefix": source.metadata_prefix}
        if source.harvested_until:
            # arXiv's OAI-PMH granularity is a day; the overlap day comes back unchanged.
            parameters["from"] = source.harvested_until.date().isoformat()
        return IngestRun.Kind.OAI_SET, parameters
    return IngestRun.Kind.ARXIV_QUERY, {"query": source.query, "max": source.max_results}


# A pending or running harvest that has not moved for this long no longer blocks its source
# (its task was lost, say with the broker's data); every page moves `updated_at`.
STALLED_AFTER = timedelta(hours=6)


def harvest_source_run(
    *, source: HarvestSource, requested_by: AbstractBaseUser | None = None
) -> IngestRun | None:
    """Start a harvest of `source` now, unless one is already pending or running (then None).

    Safe to call twice, also concurrently: the source row is locked while checking, so one
    source never has two harvests at once. A harvest stalled for STALLED_AFTER does not count.
    """
    with transaction.atomic():
        locked = HarvestSource.objects.select_for_update().get(pk=source.pk)
        active = IngestRun.objects.filter(
            source=locked,
            status__in=[IngestRun.Status.PENDING, IngestRun.Status.RUNNING],
            updated_at__gte=timezone.now() - STALLED_AFTER,
        )
        if active.exists():
            return None
        kind, parameters = harvest_source_parameters(source=locked)
        locked.last_run_at = timezone.now()
        locked.save(update_fields=["last_run_at", "updated_at"])
        return ingest_run_start(
            kind=kind, parameters=parameters, requested_by=requested_by, source=locked
        )


def harvest_sources_dispatch(*, now: datetime | None = None) -> list[IngestRun]:
    """Start a harvest for every enabled source whose interval has passed since its last run.

    Beat calls this often; a source with a harvest still pending or running is skipped, so
    overlapping calls start nothing twice.
    """
    now = now or timezone.now()
    started = []
    for source in HarvestSource.objects.filter(enabled=True).order_by("pk"):
        if source.last_run_at and source.last_run_at + source.interval > now:
            continue
        run = harvest_source_run(source=source)
        if run is not None:
            started.append(run)
    if started:
        logger.info("dispatched %d harvests", len(started))
    return started


@transaction.atomic
def harvest_source_harvested(*, source_id: int, until: datetime) -> None:
    """Move a source's incremental cursor forward to `until` (never backwards); idempotent."""
    HarvestSource.objects.filter(pk=source_id).filter(
        Q(harvested_until__isnull=True) | Q(harvested_until__lt=until)
    ).update(harvested_until=until, updated_at=timezone.now())
