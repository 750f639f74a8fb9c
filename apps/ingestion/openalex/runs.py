"""Carry out OpenAlex enrichment runs (`IngestRun.Kind.OPENALEX`) one batch at a time, resumably.

Parameters and cursor:
- `{}` — every paper with a DOI or an arXiv id; `{"paper_ids": [1, 2, …]}` — those papers;
  `{"stale_days": 30}` — those not enriched in the 30 days before the run started (the
  periodic refresh); cursor `{"after": pk}`: papers are taken in id order, as many as fit
  in one DOI filter (50 DOIs: a paper with a DOI and an arXiv id asks both);
- `{"path": "/abs/path/answer.json"}` — a saved OpenAlex answer (a single work or a list
  page), read offline; cursor `{"done": true}`.

As for arXiv runs (apps/ingestion/arxiv/runs.py), a batch is fetched outside any transaction
and then written in one transaction with the run's counts and advanced cursor; a batch
another worker wrote meanwhile (the cursor moved) is dropped unwritten. Every paper asked
ends with one outcome: updated, unchanged, or failed with the reason (OpenAlex has no work
for its DOIs, the work's id belongs to another paper).
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from apps.ingestion.arxiv.runs import Step
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.client import MAX_DOIS, MAX_RESPONSE_BYTES, OpenAlexClient
from apps.ingestion.openalex.errors import OpenAlexResponseError
from apps.ingestion.openalex.parser import WorkError, parse_bytes, parse_work
from apps.ingestion.services import ingest_run_enqueue, ingest_run_finish, ingest_run_record
from apps.papers.models import Paper
from apps.papers.services import UpsertOutcome, UpsertReport
from apps.papers.services.enrichment import WorkRecord, paper_enrich_many, paper_lookup_dois

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Batch:
    """A fetched batch, ready to write: works, the papers asked (id → DOIs asked), what
    could not be read, and where the run goes next."""

    works: list[WorkRecord]
    asked: dict[int, list[str]] | None = None  # None: a saved answer, no papers asked
    failures: list[UpsertOutcome] = field(default_factory=list)
    next_cursor: dict = field(default_factory=dict)
    done: bool = False
    total: int | None = None


def papers_to_enrich(run: IngestRun) -> QuerySet[Paper]:
    """The run's papers, in id order: those named, else every paper OpenAlex can be asked
    about (a DOI or an arXiv id) — with `stale_days`, only those not enriched in the
    many days before the run was started."""
    papers = Paper.objects.filter(Q(doi__isnull=False) | Q(arxiv_id__isnull=False))
    ids = run.parameters.get("paper_ids")
    if ids is not None:
        papers = papers.filter(pk__in=[int(i) for i in ids])
    stale_days = int(run.parameters.get("stale_days") or 0)
    if stale_days > 0:
        cutoff = run.created_at - timedelta(days=stale_days)
        papers = papers.filter(Q(enriched_at__isnull=True) | Q(enriched_at__lt=cutoff))
    return papers.order_by("pk")


def openalex_run_page(*, run: IngestRun, client: OpenAlexClient | None) -> Step:
    """Fetch and write the next batch of a claimed OpenAlex run; finish it after the last.

    OpenAlex's refusals and unreadable answers fail the run with the reason (its cursor stays,
    so it can be resumed). `OpenAlexUnavailableError` (transient) propagates to the caller.
    """
    cursor = dict(run.cursor or {})
    try:
        if run.parameters.get("path"):
            batch = _read_saved(run)
        else:
            if client is None:
                raise ValueError("an OpenAlex look-up needs a client")
            batch = _fetch_lookup(run, client, cursor)
    except (OpenAlexResponseError, WorkError, ValueError) as error:
        return _fail(run=run, error=str(error), expected_cursor=cursor)
    return _write(run=run, batch=batch, expected_cursor=cursor)


def openalex_run_process(run: IngestRun) -> None:
    """The processor for OpenAlex runs: one batch, then the next as a new task (or, without a
    broker, in a loop here)."""
    client = None if run.parameters.get("path") else OpenAlexClient.from_settings()
    try:
        while True:
            step = openalex_run_page(run=run, client=client)
            if step is not Step.MORE:
                return
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                transaction.on_commit(partial(ingest_run_enqueue, run_id=run.pk))
                return
            run.refresh_from_db()
    finally:
        if client is not None:
            client.close()


# --- fetching: no database writes ---------------------------------------------------------


def _fetch_lookup(run: IngestRun, client: OpenAlexClient, cursor: dict) -> Batch:
    after = int(cursor.get("after", 0))
    pending = papers_to_enrich(run).filter(pk__gt=after)
    asked: dict[int, list[str]] = {}
    failures: list[UpsertOutcome] = []
    dois: list[str] = []
    last = after
    for paper in pending.only("pk", "doi", "arxiv_id")[:MAX_DOIS]:
        lookups = [d for d in paper_lookup_dois(paper) if "|" not in d and "," not in d]
        if len(dois) + len(lookups) > MAX_DOIS:
            break
        last = paper.pk
        if not lookups:
            failures.append(
                UpsertOutcome(_paper_label(paper.pk), "failed", reason="its DOI cannot be asked")
            )
            continue
        asked[paper.pk] = lookups
        dois += lookups
    works: list[WorkRecord] = []
    if dois:
        answer = client.works_by_doi(dois)
        for position, raw in enumerate(answer.works, start=1):
            try:
                works.append(parse_work(raw, as_of=answer.as_of))
            except WorkError as error:
                failures.append(
                    UpsertOutcome(f"OpenAlex result {position}", "failed", reason=str(error))
                )
    total = None if cursor else papers_to_enrich(run).count()
    return Batch(
        works=works,
        asked=asked,
        failures=failures,
        next_cursor={"after": last},
        done=not pending.filter(pk__gt=last).exists(),
        total=total,
    )


def _read_saved(run: IngestRun) -> Batch:
    path = Path(str(run.parameters["path"]))
    try:
        size = path.stat().st_size
        if size > MAX_RESPONSE_BYTES:
            raise ValueError(f"{path} is {size} bytes, over the cap of {MAX_RESPONSE_BYTES}")
        content = path.read_bytes()
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC).date()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from error
    document = parse_bytes(content)
    if document.is_list and document.next_cursor:
        logger.info("saved OpenAlex page %s has a next cursor; only this page is read", path)
    for work in document.works:
        # A saved answer carries no Date header: a work's own updated_date, else the file's.
        work.as_of = work.as_of or modified
    return Batch(
        works=document.works,
        failures=[
            UpsertOutcome(label, "failed", reason=reason) for label, reason in document.errors
        ],
        next_cursor={"done": True},
        done=True,
        total=len(document.works) + len(document.errors),
    )


def _paper_label(pk: int, dois: list[str] | None = None) -> str:
    return f"paper #{pk}" + (f" (DOI {' / '.join(dois)})" if dois else "")


# --- writing: one transaction per batch ---------------------------------------------------


@transaction.atomic
def _fail(*, run: IngestRun, error: str, expected_cursor: dict) -> Step:
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    if locked.is_finished or (locked.cursor or {}) != expected_cursor:
        return Step.STALE
    ingest_run_finish(run=run, error=error)
    return Step.FINISHED


@transaction.atomic
def _write(*, run: IngestRun, batch: Batch, expected_cursor: dict) -> Step:
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    if locked.is_finished or (locked.cursor or {}) != expected_cursor:
        logger.info(
            "openalex run %s: batch at %s already written elsewhere", run.pk, expected_cursor
        )
        return Step.STALE
    report = paper_enrich_many(works=batch.works, actor=run.requested_by) if batch.works else None
    outcomes = report.outcomes if report else []
    if batch.asked is not None:
        outcomes = _per_paper(batch.asked, outcomes)
    ingest_run_record(
        run=locked, report=UpsertReport([*outcomes, *batch.failures]), cursor=batch.next_cursor
    )
    if batch.total is not None and locked.total != batch.total:
        IngestRun.objects.filter(pk=locked.pk).update(total=batch.total)
    run.refresh_from_db()
    if not batch.done:
        return Step.MORE
    ingest_run_finish(run=run)
    return Step.FINISHED


def _per_paper(asked: dict[int, list[str]], outcomes: list[UpsertOutcome]) -> list[UpsertOutcome]:
    """One outcome per paper asked: updated if its work changed it, unchanged, or failed
    (OpenAlex has no work for its DOIs, or its work could not be applied)."""
    by_paper: dict[int, list[UpsertOutcome]] = {}
    for outcome in outcomes:
        if outcome.paper_id is not None:
            by_paper.setdefault(outcome.paper_id, []).append(outcome)
    result = []
    for pk, dois in asked.items():
        label = _paper_label(pk, dois)
        mine = by_paper.get(pk, [])
        if not mine:
            reason = "OpenAlex has no work with " + ("this DOI" if len(dois) == 1 else "either DOI")
            result.append(UpsertOutcome(label, "failed", pk, reason))
        elif any(o.action == "updated" for o in mine):
            result.append(UpsertOutcome(label, "updated", pk))
        elif failed := [o for o in mine if o.action == "failed"]:
            # The work the paper took failed (the others only stood aside for it).
            result.append(UpsertOutcome(label, "failed", pk, failed[0].reason))
        else:
            result.append(UpsertOutcome(label, "unchanged", pk))
    return result
