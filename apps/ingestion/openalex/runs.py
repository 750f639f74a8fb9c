"""The OpenAlex run kind (`IngestRun.Kind.OPENALEX`): the engine (apps/ingestion/engine.py)
claims the run, this kind fetches one batch and writes it, the engine records the batch's
counts and cursor in the same transaction.

Spec (`OpenAlexSpec`) and cursor:
- papers (all with a DOI or an arXiv id, those in `paper_ids`, or with `stale_days` those not
  enriched lately): cursor `{"after": pk}` — papers are taken in id order, as many as fit in
  one DOI filter (50 DOIs: a paper with a DOI and an arXiv id asks both);
- `path`: a saved OpenAlex answer (a single work or a list page), read offline; cursor
  `{"done": true}`.

Every paper asked ends with one outcome: updated, unchanged, or failed with the reason
(OpenAlex has no work for its DOIs, the work's id belongs to another paper). A work of a saved
answer that matches no paper is reported failed, with the reason.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.db.models import Q, QuerySet

from apps.ingestion.errors import RunError
from apps.ingestion.kinds import Page, RunKind
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.client import MAX_DOIS, MAX_RESPONSE_BYTES, OpenAlexClient
from apps.ingestion.openalex.parser import WorkError, parse_bytes, parse_work
from apps.ingestion.openalex.specs import OpenAlexSpec
from apps.papers.models import Paper
from apps.papers.services import UpsertOutcome, UpsertReport, papers_mark_complete
from apps.papers.services.enrichment import WorkRecord, paper_enrich_many, paper_lookup_dois

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class OpenAlexPage(Page):
    """A fetched batch: `items` holds its WorkRecords; `asked` the papers asked (id → the
    DOIs asked for it), None for a saved answer."""

    asked: dict[int, list[str]] | None = None


class OpenAlexKind(RunKind[OpenAlexSpec]):
    """Look papers up by DOI in batches of 50, or read a saved answer; write through
    `paper_enrich_many` (never over a curator's edit; citation links both ways)."""

    spec = OpenAlexSpec

    def open(self, run: IngestRun, spec: OpenAlexSpec) -> OpenAlexClient | None:
        return None if spec.path else OpenAlexClient.from_settings()

    def close(self, session: Any) -> None:
        if session is not None:
            session.close()

    def fetch(self, run: IngestRun, spec: OpenAlexSpec, cursor: dict, session: Any) -> OpenAlexPage:
        if spec.path:
            return read_saved(spec)
        if session is None:
            raise RunError("an OpenAlex look-up needs a client")
        return fetch_lookup(run, spec, session, cursor)

    def write(self, run: IngestRun, spec: OpenAlexSpec, page: Page, session: Any) -> UpsertReport:
        works: list[WorkRecord] = list(page.items)
        asked = page.asked if isinstance(page, OpenAlexPage) else None
        outcomes = (
            paper_enrich_many(works=works, asked=asked or (), actor=run.requested_by).outcomes
            if works
            else []
        )
        # A date filled from OpenAlex can complete a record marked incomplete (as a refresh
        # from arXiv does).
        papers_mark_complete(
            paper_ids=[o.paper_id for o in outcomes if o.action == "updated" and o.paper_id]
        )
        if asked is not None:
            outcomes = per_paper(asked, outcomes)
        return UpsertReport([*outcomes, *page.failures])


def papers_to_enrich(run: IngestRun, spec: OpenAlexSpec) -> QuerySet[Paper]:
    """The run's papers, in id order (see OpenAlexSpec); `stale_days` counts back from the
    run's creation, so papers enriched by this very run are not taken twice."""
    papers = Paper.objects.filter(Q(doi__isnull=False) | Q(arxiv_id__isnull=False))
    if spec.paper_ids:
        papers = papers.filter(pk__in=spec.paper_ids)
    if spec.stale_days:
        cutoff = run.created_at - timedelta(days=spec.stale_days)
        papers = papers.filter(Q(enriched_at__isnull=True) | Q(enriched_at__lt=cutoff))
    return papers.order_by("pk")


def fetch_lookup(
    run: IngestRun, spec: OpenAlexSpec, client: OpenAlexClient, cursor: dict
) -> OpenAlexPage:
    """The next papers after the cursor, as many as fit in one DOI filter, and OpenAlex's
    works for them (every page of the answer)."""
    after = int(cursor.get("after", 0))
    pending = papers_to_enrich(run, spec).filter(pk__gt=after)
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
                UpsertOutcome(paper_label(paper.pk), "failed", reason="its DOI cannot be asked")
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
    return OpenAlexPage(
        items=works,
        asked=asked,
        failures=failures,
        next_cursor={"after": last},
        done=not pending.filter(pk__gt=last).exists(),
        total=None if cursor else papers_to_enrich(run, spec).count(),
    )


def read_saved(spec: OpenAlexSpec) -> OpenAlexPage:
    """A saved answer, whole, as one batch (a list page's next cursor is not followed)."""
    path = Path(spec.path)
    try:
        stat = path.stat()
        if stat.st_size > MAX_RESPONSE_BYTES:
            raise RunError(f"{path} is {stat.st_size} bytes, over the cap of {MAX_RESPONSE_BYTES}")
        content = path.read_bytes()
    except OSError as error:
        raise RunError(f"cannot read {path}: {error.strerror or error}") from error
    document = parse_bytes(content)
    if document.is_list and document.next_cursor:
        logger.info("saved OpenAlex page %s has a next cursor; only this page is read", path)
    modified = datetime.fromtimestamp(stat.st_mtime, tz=UTC).date()
    for work in document.works:
        # A saved answer has no Date header: a work's own updated_date, else the file's date.
        work.as_of = work.as_of or modified
    return OpenAlexPage(
        items=list(document.works),
        failures=[UpsertOutcome(label, "failed", reason=why) for label, why in document.errors],
        next_cursor={"done": True},
        done=True,
        total=len(document.works) + len(document.errors),
    )


def paper_label(pk: int, dois: list[str] | None = None) -> str:
    return f"paper #{pk}" + (f" (DOI {' / '.join(dois)})" if dois else "")


def per_paper(asked: dict[int, list[str]], outcomes: list[UpsertOutcome]) -> list[UpsertOutcome]:
    """One outcome per paper asked: updated if its work changed it, failed if OpenAlex has no
    work for its DOIs or its work could not be applied, else unchanged."""
    by_paper: dict[int, list[UpsertOutcome]] = {}
    for outcome in outcomes:
        if outcome.paper_id is not None:
            by_paper.setdefault(outcome.paper_id, []).append(outcome)
    result = []
    for pk, dois in asked.items():
        label = paper_label(pk, dois)
        mine = by_paper.get(pk, [])
        if not mine:
            which = "this DOI" if len(dois) == 1 else "either DOI"
            result.append(UpsertOutcome(label, "failed", pk, f"OpenAlex has no work with {which}"))
        elif any(o.action == "updated" for o in mine):
            result.append(UpsertOutcome(label, "updated", pk))
        elif failed := [o for o in mine if o.action == "failed"]:
            # The work the paper took failed (the others only stood aside for it).
            result.append(UpsertOutcome(label, "failed", pk, failed[0].reason))
        else:
            result.append(UpsertOutcome(label, "unchanged", pk))
    return result
