"""Enrich papers with what OpenAlex knows about them, and link the papers that cite each other.

A `WorkRecord` (one OpenAlex work, read by apps.ingestion.openalex) is matched to a paper by
DOI — the paper's own, or for an arXiv paper the DOI arXiv registers, `10.48550/arxiv.<id>`
(OpenAlex writes DOIs in lower case; sellm stores them so) — or else by the OpenAlex id the
paper already carries. Then, never touching a field named in `curator_edited_fields`:

- OpenAlex's own facts are kept current: `openalex_id`, `cited_by_count` (with the date of the
  answer in `cited_by_as_of`), `oa_url`, and the referenced works;
- facts sellm may know better are only filled where it has none: `venue` (never from a
  repository such as arXiv, which is not a venue), `published_at` (and `year`), `doi` (not
  an arXiv paper's own arXiv DOI, which follows from its id: the field stays free for the
  published version's DOI);
- an answer older than the count sellm holds (a saved file) only fills, never overwrites.

Referenced works are stored whole (`ReferencedWork`), so a `Citation` exists between two
papers of sellm whenever one's list names the other's OpenAlex id — in both directions of
time: a paper enriched today gains the links from papers enriched before it that cite it.
`references_outside` counts the referenced works that are not papers of sellm (None while
OpenAlex lists no references, which for preprints usually means it does not know them).

Safe to call twice: the same answer changes nothing. Only the bookkeeping dates
(`enriched_at`, and `cited_by_as_of` when the count is confirmed on a later day) move; they
write no history row. Papers whose facts change get one ("~").
"""

import logging
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from django.contrib.auth.models import AbstractBaseUser
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.core.bulk import insert_rows, update_rows
from apps.core.history import history_snapshot
from apps.papers.models import Citation, Paper, ReferencedWork
from apps.papers.services.upsert import UpsertOutcome, UpsertReport

logger = logging.getLogger(__name__)

ARXIV_DOI_PREFIX = "10.48550/arxiv."
REFERENCES = "references"  # pseudo-field a curator can lock: the paper's reference list
OPENALEX_ID = re.compile(r"^W\d{1,20}$")
VENUE_LIMIT: int = Paper._meta.get_field("venue").max_length or 500
OA_URL_LIMIT: int = Paper._meta.get_field("oa_url").max_length or 1000
DOI_LIMIT: int = Paper._meta.get_field("doi").max_length or 255
# Fields of a paper this service writes (besides the bookkeeping dates).
ENRICHED_FIELDS = (
    "openalex_id",
    "cited_by_count",
    "oa_url",
    "venue",
    "published_at",
    "year",
    "doi",
    "references_outside",
)


@dataclass(slots=True)
class WorkRecord:
    """One OpenAlex work as sellm reads it; empty or None where OpenAlex does not say.

    `referenced_works` is None when the answer did not carry the field (leave the paper's list
    alone), and a list (maybe empty) when it did. `as_of` is the date of the answer.
    """

    openalex_id: str
    doi: str | None = None
    title: str = ""
    publication_date: date | None = None
    venue: str = ""
    oa_url: str = ""
    cited_by_count: int | None = None
    referenced_works: list[str] | None = None
    as_of: date | None = None
    label: str = ""


def arxiv_doi(arxiv_id: str) -> str:
    """The DOI arXiv registers for a paper (versionless), as OpenAlex writes it: lower case."""
    return f"{ARXIV_DOI_PREFIX}{arxiv_id}".lower()


def paper_lookup_dois(paper: Paper) -> list[str]:
    """The DOIs to ask OpenAlex for a paper: its own, then its arXiv DOI (both when it has
    both: a published version and its preprint are two works; the published one wins)."""
    dois = []
    if paper.doi:
        dois.append(paper.doi.lower())
    if paper.arxiv_id and arxiv_doi(paper.arxiv_id) not in dois:
        dois.append(arxiv_doi(paper.arxiv_id))
    return dois


def paper_enrich_many(
    *,
    works: Iterable[WorkRecord],
    asked: Iterable[int] = (),
    now: datetime | None = None,
    actor: AbstractBaseUser | None = None,
) -> UpsertReport:
    """Apply OpenAlex works to the papers they describe; one outcome per work, in order
    ("updated", "unchanged", or "failed" with the reason: no such paper, an id another paper
    holds). `asked`: ids of the papers the works were looked up for (matched by their DOIs
    even if one was stored with capitals). See the module docstring for what is written.
    Safe to call twice.

    One transaction. Should the database refuse the batch (a concurrent writer took an id
    first), each work is tried alone so that only the bad one fails.
    """
    works = list(works)
    asked = list(asked)
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _enrich_batch(works, asked=asked, now=now, actor=actor)
    except DatabaseError as error:
        if len(works) == 1:
            return UpsertReport(
                [UpsertOutcome(_label(works[0]), "failed", reason=f"database refused it: {error}")]
            )
        logger.warning("enrichment batch of %d refused (%s); one by one", len(works), error)
    report = UpsertReport()
    for work in works:
        report.outcomes += paper_enrich_many(
            works=[work], asked=asked, now=now, actor=actor
        ).outcomes
    return report


def _label(work: WorkRecord) -> str:
    if work.label:
        return work.label
    return f"OpenAlex {work.openalex_id}" + (f" (DOI {work.doi})" if work.doi else "")


def _arxiv_id_of(doi: str | None) -> str | None:
    if doi and doi.startswith(ARXIV_DOI_PREFIX):
        return doi[len(ARXIV_DOI_PREFIX) :]
    return None


def _chunks(values: Sequence, size: int = 900) -> Iterable[list]:
    """Split an IN list; SQLite caps the number of parameters in one statement."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(slots=True, eq=False)
class _Plan:
    """What this batch does to one paper."""

    paper: Paper
    work: WorkRecord
    rank: tuple
    changed: set[str]
    outcome: UpsertOutcome


def _enrich_batch(
    works: list[WorkRecord], *, asked: list[int], now: datetime, actor: AbstractBaseUser | None
) -> UpsertReport:
    outcomes = [UpsertOutcome(_label(w), "unchanged") for w in works]
    valid = []
    for work, outcome in zip(works, outcomes, strict=True):
        if not OPENALEX_ID.match(work.openalex_id or ""):
            outcome.action, outcome.reason = "failed", "no OpenAlex work id"
        else:
            valid.append((work, outcome))

    papers = _candidates([w for w, _ in valid], asked)
    by_doi = {p.doi.lower(): p for p in papers.values() if p.doi}
    by_arxiv = {p.arxiv_id.lower(): p for p in papers.values() if p.arxiv_id}
    by_work = {p.openalex_id: p for p in papers.values() if p.openalex_id}

    # Each work names at most one paper (its DOI, else its arXiv DOI, else its id); each
    # paper takes its best work: DOI over arXiv DOI over id, then the one it already has,
    # then the most cited — a stable choice, so a re-run never flips between duplicates.
    plans: dict[int, _Plan] = {}
    for index, (work, outcome) in enumerate(valid):
        arxiv_id = _arxiv_id_of(work.doi)
        matches = [
            (0, by_doi.get(work.doi or "")),
            (1, by_arxiv.get(arxiv_id or "")),
            (2, by_work.get(work.openalex_id)),
        ]
        rank_paper = next(((r, p) for r, p in matches if p is not None), None)
        if rank_paper is None:
            outcome.action = "failed"
            outcome.reason = "no paper of sellm has this DOI or OpenAlex id"
            continue
        rank, paper = rank_paper
        key = (
            rank,
            work.openalex_id != paper.openalex_id,
            -(work.cited_by_count or 0),
            int(work.openalex_id[1:]),
            index,
        )
        outcome.paper_id = paper.pk
        current = plans.get(paper.pk)
        if current is None or key < current.rank:
            plans[paper.pk] = _Plan(paper, work, key, set(), outcome)
    for _, outcome in valid:
        plan = plans.get(outcome.paper_id) if outcome.paper_id else None
        if plan is not None and plan.outcome is not outcome:
            outcome.reason = f"the paper takes OpenAlex {plan.work.openalex_id} instead"

    referenced = _referenced_works([p.paper.pk for p in plans.values()])
    taken_dois: set[str] = set()
    refs_replaced: set[int] = set()
    ids: set[str] = set()  # the batch's OpenAlex ids, new and former: their citers' links
    for plan in plans.values():
        holder = by_work.get(plan.work.openalex_id)
        if holder is not None and holder.pk != plan.paper.pk:
            plan.outcome.action = "failed"
            plan.outcome.reason = (
                f"OpenAlex {plan.work.openalex_id} already belongs to paper #{holder.pk}"
            )
            continue
        old_id = plan.paper.openalex_id
        _apply(plan, by_doi=by_doi, taken_dois=taken_dois, now=now)
        ids |= {i for i in (old_id, plan.paper.openalex_id) if i}
        wanted = plan.work.referenced_works
        if wanted is not None and REFERENCES not in plan.paper.curator_edited_fields:
            wanted_set = {w for w in wanted if OPENALEX_ID.match(w)}
            if wanted_set != referenced.get(plan.paper.pk, set()):
                referenced[plan.paper.pk] = wanted_set
                refs_replaced.add(plan.paper.pk)

    active = [p for p in plans.values() if p.outcome.action != "failed"]
    changed = [p.paper for p in active if p.changed]
    if changed:
        fields = sorted(set().union(*(p.changed for p in active)) | {"updated_at"})
        for paper in changed:
            paper.updated_at = now
        update_rows(Paper, changed, [*fields, "enriched_at", "cited_by_as_of"])
    quiet = [p.paper for p in active if not p.changed]
    # bookkeeping only: no history row, `updated_at` stays
    update_rows(Paper, quiet, ["enriched_at", "cited_by_as_of"])
    _replace_referenced_works({pk: referenced[pk] for pk in refs_replaced})

    # Links from and to every paper of the batch are rebuilt from the stored lists, not only
    # where something moved: a link missed by two concurrent runs (each blind to the other's
    # uncommitted rows) or a cited paper deleted is repaired by the next enrichment.
    citers = {p.paper.pk for p in active} | _citers_of(ids)
    linked, outside_changed = _citations_sync(citers)
    touched = {p.paper.pk for p in active if p.changed} | outside_changed
    history_snapshot(Paper, sorted(touched), history_type="~", user=actor)
    for plan in active:
        if plan.changed or plan.paper.pk in refs_replaced | linked | outside_changed:
            plan.outcome.action = "updated"
    return UpsertReport(outcomes)


def _candidates(works: list[WorkRecord], asked: list[int]) -> dict[int, Paper]:
    """Every paper the works could name, and the papers asked, locked for the batch (on
    PostgreSQL)."""
    dois = sorted({w.doi for w in works if w.doi})
    arxiv_ids = sorted({a for w in works if (a := _arxiv_id_of(w.doi))})
    ids = sorted({w.openalex_id for w in works})
    found: dict[int, Paper] = {}
    for lookup, values in (
        ("pk__in", sorted(set(asked))),
        ("doi__in", dois),
        ("arxiv_id__in", arxiv_ids),
        ("openalex_id__in", ids),
    ):
        for chunk in _chunks(values):
            for paper in Paper.objects.select_for_update().filter(**{lookup: chunk}):
                found[paper.pk] = paper
    return found


def _apply(plan: _Plan, *, by_doi: dict[str, Paper], taken_dois: set[str], now: datetime) -> None:
    """Set the work's facts on the paper (see the module docstring); note what changed."""
    paper, work = plan.paper, plan.work
    locked = set(paper.curator_edited_fields)
    # An answer older than the count we hold (a saved file) may only fill empty fields.
    stale = bool(work.as_of and paper.cited_by_as_of and work.as_of < paper.cited_by_as_of)

    def put(name: str, value: object, *, fill_only: bool = False) -> None:
        current = getattr(paper, name)
        if name in locked or current == value:
            return
        if (fill_only or stale) and current not in (None, ""):
            return
        setattr(paper, name, value)
        plan.changed.add(name)

    put("openalex_id", work.openalex_id)
    if work.cited_by_count is not None and "cited_by_count" not in locked and not stale:
        put("cited_by_count", work.cited_by_count)
        paper.cited_by_as_of = work.as_of or now.date()
    if work.oa_url and len(work.oa_url) <= OA_URL_LIMIT:
        put("oa_url", work.oa_url)
    if work.venue and len(work.venue) <= VENUE_LIMIT:
        put("venue", work.venue, fill_only=True)
    if work.publication_date and "published_at" not in locked and paper.published_at is None:
        put("published_at", datetime.combine(work.publication_date, time.min, tzinfo=UTC))
        if 1800 <= work.publication_date.year <= 2200:
            put("year", work.publication_date.year, fill_only=True)
    doi = work.doi
    # The arXiv DOI follows from the arXiv id; storing it would keep the published version's
    # DOI (which arXiv reports later) out of the field.
    own_arxiv_doi = arxiv_doi(paper.arxiv_id) if paper.arxiv_id else None
    if (
        doi
        and doi != own_arxiv_doi
        and len(doi) <= DOI_LIMIT
        and paper.doi is None
        and doi not in taken_dois
    ):
        owner = by_doi.get(doi)
        if owner is None or owner.pk == paper.pk:
            put("doi", doi, fill_only=True)
            taken_dois.add(doi)
    paper.enriched_at = now


def _referenced_works(paper_ids: Iterable[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in _chunks(sorted(paper_ids)):
        for paper_id, work_id in ReferencedWork.objects.filter(paper_id__in=chunk).values_list(
            "paper_id", "work_id"
        ):
            found[paper_id].add(work_id)
    return found


def _replace_referenced_works(lists: dict[int, set[str]]) -> None:
    if not lists:
        return
    for chunk in _chunks(sorted(lists)):
        ReferencedWork.objects.filter(paper_id__in=chunk).delete()
    insert_rows(
        ReferencedWork,
        ("paper_id", "work_id"),
        [(pk, work_id) for pk, work_ids in lists.items() for work_id in sorted(work_ids)],
    )


def _citers_of(work_ids: set[str]) -> set[int]:
    """Papers whose reference lists name any of these OpenAlex ids."""
    found: set[int] = set()
    for chunk in _chunks(sorted(work_ids)):
        found.update(
            ReferencedWork.objects.filter(work_id__in=chunk).values_list("paper_id", flat=True)
        )
    return found


def _citations_sync(citers: set[int]) -> tuple[set[int], set[int]]:
    """Make the `Citation` rows from these papers match their referenced works, and their
    `references_outside` the count of works that are not papers of sellm.

    Returns (papers at either end of a link that came or went, papers whose count changed)."""
    if not citers:
        return set(), set()
    referenced = _referenced_works(citers)
    holders: dict[str, int] = {}
    for chunk in _chunks(sorted(set().union(*referenced.values()) if referenced else set())):
        holders.update(
            (work_id, pk)
            for work_id, pk in Paper.objects.filter(openalex_id__in=chunk).values_list(
                "openalex_id", "pk"
            )
            if work_id
        )
    wanted = {
        (citing, holders[work_id])
        for citing, work_ids in referenced.items()
        for work_id in work_ids
        if work_id in holders and holders[work_id] != citing
    }
    existing: dict[tuple[int, int], int] = {}
    for chunk in _chunks(sorted(citers)):
        for pk, citing, cited in Citation.objects.filter(citing_id__in=chunk).values_list(
            "pk", "citing_id", "cited_id"
        ):
            existing[(citing, cited)] = pk
    gone = [pk for pair, pk in existing.items() if pair not in wanted]
    new = sorted(wanted - set(existing))
    for chunk in _chunks(gone):
        Citation.objects.filter(pk__in=chunk).delete()
    created = Citation._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
    insert_rows(
        Citation,
        ("citing_id", "cited_id", "created_at"),
        [(citing, cited, created) for citing, cited in new],
    )
    removed = set(gone)
    moved = [*new, *(pair for pair, pk in existing.items() if pk in removed)]
    linked = {pk for pair in moved for pk in pair}  # both ends: a "cited by" changed too

    counts = {
        pk: (sum(1 for w in referenced[pk] if w not in holders) if referenced.get(pk) else None)
        for pk in citers
    }
    rows = []
    for chunk in _chunks(sorted(citers)):
        rows += list(Paper.objects.filter(pk__in=chunk).only("pk", "references_outside"))
    stale = [p for p in rows if p.references_outside != counts[p.pk]]
    for paper in stale:
        paper.references_outside = counts[paper.pk]
        paper.updated_at = timezone.now()
    update_rows(Paper, stale, ["references_outside", "updated_at"])
    return linked, {p.pk for p in stale}
