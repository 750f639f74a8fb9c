"""The life of an IngestRun: started (and enqueued), claimed by a worker, fed outcomes page
by page with its cursor, finished. arXiv harvests and BibTeX imports both run through these,
so every run is visible, counted the same way and resumable from its cursor."""

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from apps.core.dispatch import task_send
from apps.core.exceptions import ApplicationError
from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.specs import (
    ArxivIdsSpec,
    ArxivQuerySpec,
    ArxivRefreshSpec,
    OaiSetSpec,
    RunSpec,
)
from apps.papers.models import Paper
from apps.papers.services import UpsertReport

logger = logging.getLogger(__name__)

# Who asked for a run: a user (anonymous and system runs record nobody).
Actor = AbstractBaseUser | AnonymousUser | None


def _user(user: Actor) -> Any:
    """The user to record on a run, or None for anonymous and system runs."""
    return user if user is not None and user.is_authenticated else None


# The task that executes a run, sent by name: services never import tasks.
EXECUTE_TASK = "apps.ingestion.tasks.ingest_run_execute"


def ingest_run_start(
    *,
    spec: RunSpec,
    requested_by: Actor = None,
    source: HarvestSource | None = None,
    total: int | None = None,
) -> IngestRun:
    """Record a run of `spec` and enqueue its execution once the row is committed; `total`
    defaults to what the spec expects."""
    with transaction.atomic():
        run = IngestRun.objects.create(
            kind=spec.kind,
            parameters=spec.to_json(),
            requested_by=_user(requested_by),
            source=source,
            total=spec.expected() if total is None else total,
        )
        transaction.on_commit(partial(ingest_run_enqueue, run_id=run.pk))
    return run


def ingest_run_enqueue(*, run_id: int) -> bool:
    """Send a run's task (by name); False (logged, not raised) if the broker is down.

    The run is already committed, pending or running with its cursor, so an outage must not
    turn a started import into an error page: `ingest_runs_recover` sends it again later.
    Without a broker the run goes on in this process (see apps/core/dispatch.py).
    """
    try:
        task_send(EXECUTE_TASK, [run_id])
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
    """Send a failed or stalled run back to the queue; it continues from its saved cursor.
    Any other run is returned as it is."""
    with transaction.atomic():
        run = IngestRun.objects.select_for_update().get(pk=run.pk)
        if not run.is_resumable:
            return run
        run.status = IngestRun.Status.PENDING
        run.finished_at = None
        run.message = ""
        run.save(update_fields=["status", "finished_at", "message", "updated_at"])
        transaction.on_commit(partial(ingest_run_enqueue, run_id=run.pk))
    return run


def ingest_runs_recover(*, now: datetime | None = None) -> list[int]:
    """Enqueue again every stalled run (`IngestRun.objects.stalled()`: pending or running and
    not moved for INGEST_STALLED_AFTER seconds); returns their ids.

    Such a run has most likely lost its message: a broker restarted without persistence, a
    publish during a broker outage, a task that gave up on an unreachable database. The run
    resumes from its cursor. Should the old message still turn up, the two copies meet at the
    cursor check and one of them stops, so a run is never written twice. Each recovered run's
    `updated_at` moves, so the next sweep leaves it alone for another INGEST_STALLED_AFTER.
    """
    now = now or timezone.now()
    recovered = []
    for run_id in IngestRun.objects.stalled(now=now).order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            # Conditional, so two overlapping sweeps never both take the same run.
            taken = IngestRun.objects.stalled(now=now).filter(pk=run_id).update(updated_at=now)
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
    spec: RunSpec,
    requested_by: Actor = None,
    source: HarvestSource | None = None,
    total: int | None = None,
) -> IngestRun:
    """Record a run that the caller carries out itself (a management command), claimed and
    running. Nothing is enqueued; each call records a new run."""
    return IngestRun.objects.create(
        kind=spec.kind,
        parameters=spec.to_json(),
        status=IngestRun.Status.RUNNING,
        started_at=timezone.now(),
        requested_by=_user(requested_by),
        source=source,
        total=spec.expected() if total is None else total,
    )


def arxiv_ids_ingest(*, ids: Sequence[str], requested_by: Actor = None) -> IngestRun:
    """Start a run that adds (or refreshes) papers by arXiv id, with or without version.

    Raises SpecError (an ApplicationError), naming them, if any id is not an arXiv
    identifier; nothing is recorded then. Each call starts a new run; running the same ids
    again changes no paper.
    """
    return ingest_run_start(spec=ArxivIdsSpec(ids=tuple(ids)), requested_by=requested_by)


def harvest_source_spec(*, source: HarvestSource) -> RunSpec:
    """What one harvest of `source` asks for (OAI sets go on from `harvested_until`, the last
    responseDate of a successful harvest)."""
    if source.kind == HarvestSource.Kind.OAI_SET:
        # arXiv's OAI-PMH granularity is a day; the overlap day comes back unchanged.
        since = source.harvested_until.date().isoformat() if source.harvested_until else ""
        return OaiSetSpec(set=source.oai_set, metadata_prefix=source.metadata_prefix, from_=since)
    return ArxivQuerySpec(query=source.query, max=source.max_results)


def harvest_source_run(*, source: HarvestSource, requested_by: Actor = None) -> IngestRun | None:
    """Start a harvest of `source` now, unless one is already pending or running (then None).

    Safe to call twice, also concurrently: the source row is locked while checking, so one
    source never has two harvests at once. A stalled harvest of the source (see
    `IngestRun.objects.stalled`) is failed as superseded, so its lost task, should it turn up,
    stops at once; the new harvest starts from the source's own cursor.
    """
    with transaction.atomic():
        locked = HarvestSource.objects.select_for_update().get(pk=source.pk)
        now = timezone.now()
        if IngestRun.objects.moving(now=now).filter(source=locked).exists():
            return None
        spec = harvest_source_spec(source=locked)
        locked.last_run_at = now
        locked.save(update_fields=["last_run_at", "updated_at"])
        run = ingest_run_start(spec=spec, requested_by=requested_by, source=locked)
        IngestRun.objects.stalled(now=now).filter(source=locked).update(
            status=IngestRun.Status.FAILED,
            message=f"stalled; superseded by run #{run.pk}",
            finished_at=now,
            updated_at=now,
        )
        return run


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


# --- Refresh from arXiv ----------------------------------------------------------------


def arxiv_refresh_spec(
    *, paper_ids: Iterable[int], reason: str = "selected"
) -> tuple[ArxivRefreshSpec, int]:
    """The refresh of the given papers (by their arXiv ids, in paper order) and how many were
    left out for having no arXiv id. Raises ApplicationError if none has one."""
    ids = list(dict.fromkeys(paper_ids))
    arxiv_ids = [
        arxiv_id
        for arxiv_id in Paper.objects.filter(pk__in=ids, arxiv_id__isnull=False)
        .order_by("pk")
        .values_list("arxiv_id", flat=True)
        if arxiv_id
    ]
    if not arxiv_ids:
        raise ApplicationError("None of these papers has an arXiv id to refresh from.")
    return ArxivRefreshSpec(ids=tuple(arxiv_ids), reason=reason), len(ids) - len(arxiv_ids)


def arxiv_refresh_start(
    *,
    paper_ids: Iterable[int],
    requested_by: Actor = None,
    reason: str = "selected",
) -> tuple[IngestRun, int]:
    """Start a run that re-fetches the given papers from arXiv by their arXiv ids (id_list
    batches, politely, resumably); returns the run and how many papers were skipped for
    having no arXiv id. The upsert never overwrites a curator's edit, and a paper the refresh
    completes loses "record incomplete". Raises ApplicationError if none has an arXiv id.
    Each call starts a new run; refreshing twice changes nothing the second time."""
    spec, skipped = arxiv_refresh_spec(paper_ids=paper_ids, reason=reason)
    return ingest_run_start(spec=spec, requested_by=requested_by), skipped


def arxiv_refresh_incomplete() -> IngestRun | None:
    """Start a refresh of every paper marked "record incomplete" that has an arXiv id, unless
    such a scheduled refresh is still going (then None, as when no paper needs one). Beat
    calls this; overlapping calls start nothing twice (a stalled refresh does not block)."""
    with transaction.atomic():
        # Serialise concurrent schedulers on PostgreSQL; SQLite serialises writers anyway.
        busy = IngestRun.objects.moving().filter(
            kind=IngestRun.Kind.ARXIV_REFRESH, parameters__reason="incomplete"
        )
        if busy.exists():
            return None
        paper_ids = list(
            Paper.objects.filter(record_incomplete=True, arxiv_id__isnull=False)
            .exclude(arxiv_id="")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if not paper_ids:
            return None
        run, _ = arxiv_refresh_start(paper_ids=paper_ids, reason="incomplete")
        return run
