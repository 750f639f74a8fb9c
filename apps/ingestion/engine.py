"""The one loop every run goes through: claim, fetch a page, write page and cursor, finish
or continue. The Celery task, the in-process run and the management commands only call it.

A page is fetched outside any transaction (HTTP can take seconds), then written in one
transaction together with the run's counts and its advanced cursor: after a crash either both
are stored or neither, so a redelivered task simply asks for the same page again. If another
worker wrote the page first (the cursor moved while we fetched), ours is dropped unwritten —
two workers on one run never double-count or duplicate.

Errors: `SourceUnavailableError` (transient) propagates so a worker can retry the page later,
unless this is the last attempt (or there is no queue to come back on), when the run fails
with the reason. `RunError`, `SpecError` and `ValueError` fail the run at once. A failed run
keeps its cursor and can be resumed. Anything else is a bug: the run fails with the error's
type and message, and the log keeps the traceback.
"""

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from django.db import InterfaceError, OperationalError, transaction

from apps.ingestion.errors import RunError, SourceUnavailableError
from apps.ingestion.kinds import Page, RunKind
from apps.ingestion.models import IngestRun
from apps.ingestion.registry import KINDS
from apps.ingestion.services import ingest_run_claim, ingest_run_finish, ingest_run_record
from apps.ingestion.specs import RunSpec, SpecError

logger = logging.getLogger(__name__)

# The database went away (restarted, failed over, a dropped connection): nothing of the page
# was committed, so a worker retries it whole on a fresh connection.
DATABASE_ERRORS = (OperationalError, InterfaceError)


class Step(StrEnum):
    """What a page did: more pages remain, the run ended, or another worker had already
    written this page (so the caller must not continue)."""

    MORE = "more"
    FINISHED = "finished"
    STALE = "stale"


class Execution:
    """A claimed run with its kind, typed spec and session, for one caller's pages."""

    def __init__(self, run: IngestRun, kind: RunKind, spec: RunSpec, session: Any = None) -> None:
        self.run = run
        self.kind = kind
        self.spec = spec
        self.session: Any = session
        self.opened = session is not None  # a session the caller gave is the caller's to close
        self.owns_session = session is None

    def __enter__(self) -> "Execution":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.opened and self.owns_session:
            self.kind.close(self.session)

    def page(self, *, give_up: str | None) -> Step:
        """Fetch and write the next page; finish the run after the last one. A transient
        source error propagates when `give_up` is None, else fails the run with `give_up`
        formatted with the error."""
        run = self.run
        if not self.opened:
            self.session = self.kind.open(run, self.spec)
            self.opened = True
        cursor = dict(run.cursor or {})
        try:
            page = self.kind.fetch(run, self.spec, cursor, self.session)
        except SourceUnavailableError as error:
            if give_up is None:
                raise
            return _page_fail(run=run, error=give_up.format(error=error), at=cursor)
        except (RunError, SpecError, ValueError) as error:
            return _page_fail(run=run, error=str(error), at=cursor)
        return _page_write(execution=self, page=page, at=cursor)


def run_open(run_id: int, *, session: Any = None) -> Execution | None:
    """Claim a run and read its spec; None if the run is missing, finished, or cannot run
    (an unknown kind or bad parameters: then it is failed with the reason). `session`
    replaces the kind's own (a client the caller configured, e.g. for a stand-in)."""
    run = ingest_run_claim(run_id=run_id)
    if run is None:
        logger.info("ingest run %s missing or finished; skipping", run_id)
        return None
    kind = KINDS.get(run.kind)
    if kind is None:
        ingest_run_finish(run=run, error=f"no run kind {run.kind!r}")
        return None
    try:
        spec = kind.spec.from_json(run.parameters)
    except SpecError as error:
        ingest_run_finish(run=run, error=f"bad parameters: {error.message}")
        return None
    return Execution(run, kind, spec, session)


# How a run that meets a transient error with no retry left says so.
RESUME_LATER = "{error} (resume the run to try again)"


def run_execute(
    run_id: int,
    *,
    give_up: str | None = RESUME_LATER,
    whole_run: bool = True,
    on_page: Callable[[IngestRun], None] | None = None,
    session: Any = None,
    interrupts: tuple[type[BaseException], ...] = (),
) -> Step:
    """Carry out a run from its cursor: every page (`whole_run`), or — for a kind that does
    one page per task, in a worker — one page, returning Step.MORE when the caller should
    send the next. `give_up`: None when a worker will retry a transient source error (it
    propagates), else the run fails with it ("{error}" is filled in). `on_page` sees the
    run after each page (progress bars). `interrupts` propagate untouched, for the caller to
    record (a task's time limit).

    Safe to call again on an interrupted run, and concurrently: see the module docstring.
    """
    passthrough: tuple[type[BaseException], ...] = (SourceUnavailableError, *interrupts)
    execution = run_open(run_id, session=session)
    if execution is None:
        return Step.FINISHED
    with execution:
        while True:
            try:
                step = execution.page(give_up=give_up)
            except passthrough:
                raise
            except DATABASE_ERRORS as error:
                if give_up is None:
                    raise  # not the run's fault: the worker retries on a fresh connection
                _record_crash(execution.run, f"database unavailable: {error}")
                raise
            except Exception as error:
                # A bug must not leave the run "running" for ever: the run says why it stopped
                # (resumable from its cursor), the log keeps the traceback.
                logger.exception("ingest run %s stopped", run_id)
                _record_crash(execution.run, f"{type(error).__name__}: {error}")
                return Step.FINISHED
            if on_page is not None:
                on_page(execution.run)
            if step is not Step.MORE:
                return step
            if not whole_run and execution.kind.one_page_per_task:
                return step
            execution.run.refresh_from_db()


def _record_crash(run: IngestRun, reason: str) -> None:
    try:
        ingest_run_finish(run=run, error=reason)
    except DATABASE_ERRORS:
        logger.exception("ingest run %s: could not record the failure", run.pk)


@transaction.atomic
def _page_fail(*, run: IngestRun, error: str, at: dict) -> Step:
    """Fail the run at this page — unless another worker has moved past it meanwhile."""
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    if locked.is_finished or (locked.cursor or {}) != at:
        return Step.STALE
    ingest_run_finish(run=run, error=error)
    return Step.FINISHED


@transaction.atomic
def _page_write(*, execution: Execution, page: Page, at: dict) -> Step:
    """Write one page, its counts and the new cursor together (see the module docstring)."""
    run = execution.run
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    if locked.is_finished or (locked.cursor or {}) != at:
        logger.info("ingest run %s: page at %s already written elsewhere", run.pk, at)
        return Step.STALE
    report = execution.kind.write(locked, execution.spec, page, execution.session)
    ingest_run_record(run=locked, report=report, cursor=page.next_cursor)
    if page.total is not None and locked.total != page.total:
        IngestRun.objects.filter(pk=locked.pk).update(total=page.total)
    run.refresh_from_db()
    if not page.done:
        return Step.MORE
    execution.kind.finished(run, execution.spec, page)
    ingest_run_finish(run=run)
    return Step.FINISHED
