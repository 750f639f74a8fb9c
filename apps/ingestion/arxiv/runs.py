"""The arXiv run kinds: ids, refresh, query, OAI-PMH set, saved response.

Each kind fetches one page (outside any transaction; HTTP can take seconds) and the engine
writes it together with the run's counts and cursor (apps/ingestion/engine.py). Cursors:
- arxiv_ids, arxiv_refresh: {"offset": n} into the spec's ids;
- arxiv_query: {"start": n};
- oai_set: {"token": resumptionToken, "response_date": first page's responseDate, "pages": n};
- saved_response: {"done": true} once the file is read.
"""

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.ingestion.arxiv.client import MAX_PAGE_SIZE, ArxivClient
from apps.ingestion.arxiv.errors import ArxivUnavailableError
from apps.ingestion.arxiv.parsers import EntryError, OaiPage, detect_and_parse
from apps.ingestion.errors import RunError
from apps.ingestion.kinds import Page, RunKind
from apps.ingestion.models import IngestRun
from apps.ingestion.services import harvest_source_harvested
from apps.ingestion.specs import (
    ArxivIdsSpec,
    ArxivQuerySpec,
    ArxivRefreshSpec,
    OaiSetSpec,
    SavedResponseSpec,
)
from apps.ingestion.suggestions import placements_suggest_after_commit
from apps.papers.identifiers import parse_arxiv_id
from apps.papers.models import Paper
from apps.papers.records import PaperRecord
from apps.papers.services import (
    UpsertOutcome,
    UpsertReport,
    paper_upsert_many,
    papers_mark_complete,
)

logger = logging.getLogger(__name__)

ID_PAGE_SIZE = 100  # ids per id_list request: short URLs, quick answers


class ArxivKind(RunKind[Any]):
    """Shared by the arXiv kinds: one client per run (its politeness spaces every request),
    records upserted as arXiv's, new papers given suggested placements."""

    def open(self, run: IngestRun, spec: Any) -> ArxivClient | None:
        return ArxivClient.from_settings()

    def close(self, session: Any) -> None:
        if session is not None:
            session.session.close()

    def write(self, run: IngestRun, spec: Any, page: Page, session: Any) -> UpsertReport:
        if page.records:
            report = paper_upsert_many(records=page.records, source=Paper.Source.ARXIV)
        else:
            report = UpsertReport()
        report.outcomes.extend(page.failures)
        # Suggestions are scored after this page commits, outside its locks.
        placements_suggest_after_commit(report.created_paper_ids)
        return report


class ArxivIdsKind(ArxivKind):
    spec = ArxivIdsSpec

    def fetch(self, run: IngestRun, spec: Any, cursor: dict, session: Any) -> Page:
        return fetch_ids(spec.ids, session, cursor)


class ArxivRefreshKind(ArxivKind):
    """Re-fetch papers of the base by arXiv id (the upsert never overwrites a curator's
    edit), then clear "record incomplete" on those the page made complete."""

    spec = ArxivRefreshSpec

    def fetch(self, run: IngestRun, spec: Any, cursor: dict, session: Any) -> Page:
        # Versionless ids: the latest version, whatever the paper held.
        return fetch_ids(spec.ids, session, cursor)

    def write(self, run: IngestRun, spec: Any, page: Page, session: Any) -> UpsertReport:
        report = super().write(run, spec, page, session)
        papers_mark_complete(
            paper_ids=[o.paper_id for o in report.outcomes if o.paper_id is not None]
        )
        return report


class ArxivQueryKind(ArxivKind):
    spec = ArxivQuerySpec

    def fetch(self, run: IngestRun, spec: Any, cursor: dict, session: Any) -> Page:
        return fetch_query(spec, session, cursor)


class OaiSetKind(ArxivKind):
    spec = OaiSetSpec

    def fetch(self, run: IngestRun, spec: Any, cursor: dict, session: Any) -> Page:
        return fetch_oai(spec, session, cursor)

    def finished(self, run: IngestRun, spec: Any, page: Page) -> None:
        if run.source_id and page.harvested_until is not None:
            harvest_source_harvested(source_id=run.source_id, until=page.harvested_until)


class SavedResponseKind(ArxivKind):
    spec = SavedResponseSpec

    def open(self, run: IngestRun, spec: Any) -> None:
        return None  # a file on disk: no client, no network

    def fetch(self, run: IngestRun, spec: Any, cursor: dict, session: Any) -> Page:
        return fetch_saved(spec)


# --- fetchers: one page of each kind, no database writes -------------------------------


def fetch_ids(ids: tuple[str, ...], client: ArxivClient, cursor: dict) -> Page:
    """One id_list page of `ids` from the cursor's offset; ids arXiv did not answer fail."""
    offset = int(cursor.get("offset", 0))
    chunk = ids[offset : offset + ID_PAGE_SIZE]
    failures: list[UpsertOutcome] = []
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


def fetch_query(spec: ArxivQuerySpec, client: ArxivClient, cursor: dict) -> Page:
    """One page of a search query, from the cursor's start, up to the spec's max."""
    limit = spec.max
    page_size = min(spec.page_size, MAX_PAGE_SIZE)
    start = int(cursor.get("start", 0))
    page = client.fetch_atom_page(
        search_query=spec.query,
        start=start,
        max_results=min(page_size, max(limit - start, 1)),
        sort_by=spec.sort_by,
        sort_order=spec.sort_order,
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


def fetch_oai(spec: OaiSetSpec, client: ArxivClient, cursor: dict) -> Page:
    """One OAI-PMH page: the first by set and dates, the next by resumption token."""
    token = str(cursor.get("token") or "")
    if cursor.get("pages") and not token:
        raise RunError("this OAI-PMH run has no resumption token left to continue from")
    page = client.fetch_oai_page(
        oai_set=spec.set,
        metadata_prefix=spec.metadata_prefix,
        from_date=spec.from_,
        until_date=spec.until,
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


def fetch_saved(spec: SavedResponseSpec) -> Page:
    """The whole saved file as one page (bounded by ARXIV_MAX_RESPONSE_BYTES)."""
    path = Path(spec.path)
    try:
        size = path.stat().st_size
        if size > settings.ARXIV_MAX_RESPONSE_BYTES:
            raise RunError(
                f"{path} is {size} bytes, over the cap of {settings.ARXIV_MAX_RESPONSE_BYTES}"
            )
        content = path.read_bytes()
    except OSError as error:
        raise RunError(f"cannot read {path}: {error.strerror or error}") from error
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
