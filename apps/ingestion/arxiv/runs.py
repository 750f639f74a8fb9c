"""Carry out arXiv IngestRuns one page at a time, resumably.

A page is fetched outside any transaction (HTTP can take seconds), then written in one
transaction together with the run's counts and its advanced cursor: after a crash either both
are stored or neither, so a redelivered task simply asks for the same page again. If another
worker wrote the page first (the cursor moved while we fetched), ours is dropped unwritten —
two workers on one run never double-count or duplicate.

Cursors by kind:
- arxiv_ids: {"offset": n} into parameters["ids"];
- arxiv_query: {"start": n};
- oai_set: {"token": resumptionToken, "response_date": first page's responseDate, "pages": n};
- saved_response: {"done": true} once the file is read.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial
from pathlib import Path

from django.conf import settings
from django.db import transaction

from apps.ingestion.arxiv.client import MAX_PAGE_SIZE, ArxivClient
from apps.ingestion.arxiv.errors import (
    ArxivApiError,
    ArxivResponseError,
    ArxivUnavailableError,
)
from apps.ingestion.arxiv.parsers import AtomPage, EntryError, OaiPage, detect_and_parse
from apps.ingestion.models import IngestRun
from apps.ingestion.services import (
    harvest_source_harvested,
    ingest_run_enqueue,
    ingest_run_finish,
    ingest_run_record,
)
from apps.ingestion.suggestions import placements_suggest_after_commit
from apps.papers.identifiers import parse_arxiv_id
from apps.papers.models import Paper
from apps.papers.records import PaperRecord
from apps.papers.services import UpsertOutcome, UpsertReport, paper_upsert_many

logger = logging.getLogger(__name__)

ID_PAGE_SIZE = 100  # ids per id_list request: short URLs, quick answers
QUERY_PAGE_SIZE = 500
DEFAULT_QUERY_MAX = 1000


class Step(StrEnum):
    """What `ingest_run_page` did: more pages remain, the run ended, or another worker had
    already written this page (so the caller must not continue the chain)."""

    MORE = "more"
    FINISHED = "finished"
    STALE = "stale"


@dataclass(slots=True)
class Page:
    """A fetched page, ready to write: records, per-entry failures, where the run goes next."""

    records: list[PaperRecord]
    failures: list[UpsertOutcome] = field(default_factory=list)
    next_cursor: dict = field(default_factory=dict)
    done: bool = False
    total: int | None = None
    harvested_until: datetime | None = None


def ingest_run_page(*, run: IngestRun, client: ArxivClient | None) -> Step:
    """Fetch and write the next page of a claimed arXiv run; finish it after the last page.

    arXiv's error reports and unusable pages end the run as failed with the reason (its cursor
    stays, so it can be resumed). `ArxivUnavailableError` (transient) propagates: the Celery
    task retries it later, the command reports it. Safe to call again after a crash.
    """
    cursor = dict(run.cursor or {})
    fetch = FETCHERS.get(IngestRun.Kind(run.kind))
    if fetch is None:
        ingest_run_finish(run=run, error=f"no arXiv fetcher for runs of kind {run.kind!r}")
        return Step.FINISHED
    try:
        page = fetch(run, client, cursor)
    except (ArxivApiError, ArxivResponseError, ValueError) as error:
        return _page_fail(run=run, error=str(error), expected_cursor=cursor)
    return _page_write(run=run, page=page, expected_cursor=cursor)


@transaction.atomic
def _page_fail(*, run: IngestRun, error: str, expected_cursor: dict) -> Step:
    """Fail the run at this page — unless another worker has moved past it meanwhile."""
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    if locked.is_finished or (locked.cursor or {}) != expected_cursor:
        return Step.STALE
    ingest_run_finish(run=run, error=error)
    return Step.FINISHED


@transaction.atomic
def _page_write(*, run: IngestRun, page: Page, expected_cursor: dict) -> Step:
    """Write one page, its counts and the new cursor together (see the module docstring)."""
    locked = IngestRun.objects.select_for_update().get(pk=run.pk)
    if locked.is_finished or (locked.cursor or {}) != expected_cursor:
        logger.info("ingest run %s: page at %s already written elsewhere", run.pk, expected_cursor)
        return Step.STALE
    if page.records:
        report = paper_upsert_many(records=page.records, source=Paper.Source.ARXIV)
    else:
        report = UpsertReport()
    report.outcomes.extend(page.failures)
    # knowledge (issue 12): suggestions are scored after this page commits, outside its locks.
    placements_suggest_after_commit(report.created_paper_ids)
    ingest_run_record(run=locked, report=report, cursor=page.next_cursor)
    if page.total is not None and locked.total != page.total:
        IngestRun.objects.filter(pk=locked.pk).update(total=page.total)
    run.refresh_from_db()
    if not page.done:
        return Step.MORE
    if run.source_id and page.harvested_until is not None:
        harvest_source_harvested(source_id=run.source_id, until=page.harvested_until)
    ingest_run_finish(run=run)
    return Step.FINISHED


def arxiv_run_process(run: IngestRun) -> None:
    """The processor Celery runs for arXiv kinds: one page, then the next page as a new task.

    Without a broker (the embedded default, tasks run eagerly) the pages run in a loop here
    instead, so a long harvest does not nest one eager call per page.
    """
    client = None if run.kind == IngestRun.Kind.SAVED_RESPONSE else ArxivClient.from_settings()
    try:
        while True:
            step = ingest_run_page(run=run, client=client)
            if step is not Step.MORE:
                return
            if not settings.CELERY_TASK_ALWAYS_EAGER:
                transaction.on_commit(partial(ingest_run_enqueue, run_id=run.pk))
                return
            run.refresh_from_db()
    finally:
        if client is not None:
            client.session.close()


# --- fetchers: one page of each kind, no database writes -------------------------------


def _fetch_ids(run: IngestRun, client: ArxivClient | None, cursor: dict) -> Page:
    ids = [str(i) for i in run.parameters.get("ids") or []]
    if not ids:
        raise ValueError('an arXiv id run needs parameters {"ids": [...]}')
    offset = int(cursor.get("offset", 0))
    chunk = ids[offset : offset + ID_PAGE_SIZE]
    failures = []
    asked: dict[str, str] = {}  # versionless id → id as asked (with its version, if any)
    for raw in chunk:
        parsed = parse_arxiv_id(raw.strip())
        if parsed is None:
            failures.append(UpsertOutcome(raw, "failed", reason="not an arXiv identifier"))
            continue
        arxiv_id, version = parsed
        asked.setdefault(arxiv_id, f"{arxiv_id}v{version}" if version else arxiv_id)
    records: list[PaperRecord] = []
    if asked:
        assert client is not None
        page = client.fetch_atom_page(id_list=list(asked.values()), max_results=len(asked))
        records = page.records
        failures += _entry_failures(page.errors)
        returned = {r.arxiv_id for r in records}
        # An entry arXiv returned but we could not read is already a failure of its own.
        returned |= {parsed[0] for e in page.errors if (parsed := parse_arxiv_id(e.label))}
        failures += [
            UpsertOutcome(
                f"arXiv {wanted}", "failed", reason="arXiv returned no record for this id"
            )
            for arxiv_id, wanted in asked.items()
            if arxiv_id not in returned
        ]
    next_offset = offset + len(chunk)
    return Page(
        records=records,
        failures=failures,
        next_cursor={"offset": next_offset},
        done=next_offset >= len(ids),
        total=len(ids),
    )


def _fetch_query(run: IngestRun, client: ArxivClient | None, cursor: dict) -> Page:
    query = str(run.parameters.get("query") or "").strip()
    if not query:
        raise ValueError('a query run needs parameters {"query": "..."}')
    assert client is not None
    limit = int(run.parameters.get("max") or DEFAULT_QUERY_MAX)
    page_size = min(int(run.parameters.get("page_size") or QUERY_PAGE_SIZE), MAX_PAGE_SIZE)
    start = int(cursor.get("start", 0))
    page = client.fetch_atom_page(
        search_query=query,
        start=start,
        max_results=min(page_size, max(limit - start, 1)),
        sort_by=str(run.parameters.get("sort_by") or "submittedDate"),
        sort_order=str(run.parameters.get("sort_order") or "descending"),
    )
    total = min(page.total, limit)
    taken = len(page.records) + len(page.errors)
    if taken == 0 and start < total:
        # arXiv sometimes answers a page with no entries mid-way; asking again later works.
        raise ArxivUnavailableError(f"arXiv returned an empty page at start={start} of {total}")
    next_start = start + taken
    return Page(
        records=_clip(page.records, limit - start),
        failures=_entry_failures(page.errors),
        next_cursor={"start": next_start},
        done=taken == 0 or next_start >= total,
        total=total,
    )


def _clip(records: list[PaperRecord], room: int) -> list[PaperRecord]:
    return records[: max(room, 0)]


def _fetch_oai(run: IngestRun, client: ArxivClient | None, cursor: dict) -> Page:
    oai_set = str(run.parameters.get("set") or "")
    assert client is not None
    token = str(cursor.get("token") or "")
    if cursor.get("pages") and not token:
        raise ValueError("this OAI-PMH run has no resumption token left to continue from")
    page = client.fetch_oai_page(
        oai_set=oai_set,
        metadata_prefix=str(run.parameters.get("metadata_prefix") or "arXivRaw"),
        from_date=str(run.parameters.get("from") or ""),
        until_date=str(run.parameters.get("until") or ""),
        resumption_token=token,
    )
    response_date = str(cursor.get("response_date") or page.response_date)
    pages = int(cursor.get("pages", 0)) + 1
    return Page(
        records=page.records,
        failures=_entry_failures(page.errors),
        next_cursor={
            "token": page.resumption_token,
            "response_date": response_date,
            "pages": pages,
        },
        done=not page.resumption_token,
        total=page.complete_list_size,
        harvested_until=_response_datetime(response_date),
    )


def _fetch_saved(run: IngestRun, client: ArxivClient | None, cursor: dict) -> Page:
    path = Path(str(run.parameters.get("path") or ""))
    try:
        size = path.stat().st_size
        if size > settings.ARXIV_MAX_RESPONSE_BYTES:
            raise ValueError(
                f"{path} is {size} bytes, over the cap of {settings.ARXIV_MAX_RESPONSE_BYTES}"
            )
        content = path.read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror or error}") from error
    page = detect_and_parse(content)
    total = len(page.records) + len(page.errors)
    if isinstance(page, OaiPage) and page.resumption_token:
        logger.info("saved OAI-PMH page %s has a resumption token; only this page is read", path)
    return Page(
        records=page.records,
        failures=_entry_failures(page.errors),
        next_cursor={"done": True},
        done=True,
        total=total,
    )


def _entry_failures(errors: list[EntryError]) -> list[UpsertOutcome]:
    return [UpsertOutcome(e.label, "failed", reason=e.reason) for e in errors]


def _response_datetime(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


Fetcher = Callable[[IngestRun, ArxivClient | None, dict], Page]
FETCHERS: dict[IngestRun.Kind, Fetcher] = {
    IngestRun.Kind.ARXIV_IDS: _fetch_ids,
    IngestRun.Kind.ARXIV_QUERY: _fetch_query,
    IngestRun.Kind.OAI_SET: _fetch_oai,
    IngestRun.Kind.SAVED_RESPONSE: _fetch_saved,
}

__all__ = ["FETCHERS", "AtomPage", "Step", "arxiv_run_process", "ingest_run_page"]
