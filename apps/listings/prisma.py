"""The base's own PRISMA 2020-style flow, read from what sellm records.

Identification: the records every ingestion run read (its `seen` count), per kind of run, and
the papers that entered without a recorded run (hand-entered, the survey seed, BibTeX files
imported from the command line), counted by the paper's source. Runs that only refresh
papers already in the base (enrichment) are not identification and are left out.

Removed before screening: records a run matched to a paper already in the base (`updated` +
`unchanged`: duplicates merged) and records it could not read (`failed`).

Screening: every paper that entered the base (in the inbox, or included directly by the
seed); excluded papers grouped by their reason; papers still in the inbox; papers deleted
since; included papers. So that:

    identified - duplicates - unreadable = screened
    screened - deleted - excluded - still in inbox = included

Per phase, the flow starts at the papers placed or suggested in the phase: runs do not know
phases, so duplicates and deletions are shown as not recorded (None), never guessed.
"""

import itertools
from collections.abc import Iterable

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from apps.ingestion.models import IngestRun
from apps.papers.models import Paper, Placement
from apps.taxonomy.models import Phase

# Run kinds that bring records in, each with its label and the source its new papers get.
IDENTIFYING_RUNS = (
    (IngestRun.Kind.ARXIV_QUERY, "arXiv API searches", Paper.Source.ARXIV),
    (IngestRun.Kind.OAI_SET, "arXiv OAI-PMH harvests", Paper.Source.ARXIV),
    (IngestRun.Kind.ARXIV_IDS, "arXiv ids added by curators", Paper.Source.ARXIV),
    (IngestRun.Kind.SAVED_RESPONSE, "Saved arXiv responses", Paper.Source.ARXIV),
    (IngestRun.Kind.BIBTEX, "BibTeX imports", Paper.Source.BIBTEX),
)
# Papers that entered without a recorded run, by their source: (key, label).
OUTSIDE_RUNS = {
    Paper.Source.ARXIV: ("arxiv_without_run", "arXiv papers added without a recorded run"),
    Paper.Source.BIBTEX: ("bibtex_command", "BibTeX imports from the command line"),
    Paper.Source.MANUAL: ("manual", "Entered by hand"),
    Paper.Source.SEED: ("seed", "Survey seed"),
}
SOURCE_LABELS = dict(Paper.Source.choices)
REASONS_SHOWN = 8
NO_REASON = "No reason recorded"


def prisma_flow(*, phase: Phase | None = None) -> dict:
    """The flow for the whole base, or for one phase; a JSON-ready dict (see the module)."""
    if phase is not None:
        return _phase_flow(phase)
    runs = {
        row["kind"]: row
        for row in IngestRun.objects.filter(kind__in=[k for k, _, _ in IDENTIFYING_RUNS])
        .order_by()
        .values("kind")
        .annotate(
            seen=Sum("seen"),
            created=Sum("created"),
            merged=Sum("updated") + Sum("unchanged"),
            failed=Sum("failed"),
        )
    }
    papers = Paper.objects.all()
    current = _by_source(papers)
    deleted = dict(
        Paper.history.filter(history_type="-")
        .order_by()
        .values_list("source")
        .annotate(n=Count("history_id"))
    )
    sources = []
    created_by_runs: dict[str, int] = {}
    for kind, label, paper_source in IDENTIFYING_RUNS:
        row = runs.get(kind)
        if row and row["seen"]:
            sources.append({"key": str(kind), "label": label, "records": row["seen"]})
        created_by_runs[paper_source] = created_by_runs.get(paper_source, 0) + (
            row["created"] if row else 0
        )
    for paper_source, (key, label) in OUTSIDE_RUNS.items():
        entered = current.get(paper_source, 0) + deleted.get(paper_source, 0)
        outside = entered - created_by_runs.get(paper_source, 0)
        if outside > 0:  # (below 0, runs counted papers no record explains: "unaccounted")
            sources.append({"key": key, "label": label, "records": outside})
    duplicates = sum(row["merged"] or 0 for row in runs.values())
    unreadable = sum(row["failed"] or 0 for row in runs.values())
    return _flow(
        scope="base",
        label="The whole knowledge base",
        sources=sources,
        duplicates=duplicates,
        unreadable=unreadable,
        papers=papers,
        deleted=sum(deleted.values()),
    )


def _phase_flow(phase: Phase) -> dict:
    placed = Placement.objects.filter(paper=OuterRef("pk"), phase=phase).exclude(
        review_state=Placement.ReviewState.REJECTED
    )
    papers = Paper.objects.filter(Exists(placed))
    sources = [
        {"key": str(source), "label": SOURCE_LABELS[source], "records": n}
        for source, n in sorted(_by_source(papers).items())
        if n
    ]
    return _flow(
        scope="phase",
        label=f"Papers placed or suggested in {phase.name}",
        sources=sources,
        duplicates=None,
        unreadable=None,
        papers=papers,
        deleted=None,
        phase={"slug": phase.slug, "name": phase.name},
    )


def _by_source(papers: QuerySet[Paper]) -> dict[str, int]:
    return dict(papers.order_by().values_list("source").annotate(n=Count("pk")))


def _flow(
    *,
    scope: str,
    label: str,
    sources: list[dict],
    duplicates: int | None,
    unreadable: int | None,
    papers: QuerySet[Paper],
    deleted: int | None,
    phase: dict | None = None,
) -> dict:
    statuses = dict(papers.order_by().values_list("status").annotate(n=Count("pk")))
    reasons = _reasons(
        papers.filter(status=Paper.Status.EXCLUDED)
        .order_by()
        .values_list("status_reason")
        .annotate(n=Count("pk"))
    )
    identified = sum(source["records"] for source in sources)
    removed = None if duplicates is None else duplicates + (unreadable or 0)
    in_base = sum(statuses.values())
    screened = in_base + (deleted or 0)
    flow = {
        "scope": scope,
        "label": label,
        "as_of": timezone.now().isoformat(),
        "identified": {"total": identified, "sources": sources},
        "removed_before_screening": {
            "duplicates": duplicates,
            "unreadable": unreadable,
            "total": removed,
        },
        "screened": screened,
        "deleted": deleted,
        "excluded": {
            "total": statuses.get(Paper.Status.EXCLUDED, 0),
            "reasons": reasons,
        },
        "inbox": statuses.get(Paper.Status.INBOX, 0),
        "included": statuses.get(Paper.Status.INCLUDED, 0),
        # Screened papers the identification figures do not explain (or, negative, records
        # counted that no paper explains); 0 when the records agree.
        "unaccounted": screened - (identified - (removed or 0)) if removed is not None else 0,
    }
    if phase is not None:
        flow["phase"] = phase
    return flow


def _reasons(rows: Iterable[tuple[str, int]]) -> list[dict]:
    """Exclusion reasons grouped (case and spacing aside), most papers first; the long tail
    summed as "Other reasons"."""
    grouped: dict[str, list] = {}
    for reason, n in rows:
        text = " ".join((reason or "").split()) or NO_REASON
        key = text.casefold()
        if key in grouped:
            grouped[key][1] += n
        else:
            grouped[key] = [text, n]
    ordered = sorted(grouped.values(), key=lambda item: (-item[1], item[0].casefold()))
    shown = [{"reason": text, "papers": n} for text, n in ordered[:REASONS_SHOWN]]
    rest = ordered[REASONS_SHOWN:]
    if rest:
        shown.append({"reason": f"Other reasons ({len(rest)})", "papers": sum(n for _, n in rest)})
    return shown


# --- Drawing -----------------------------------------------------------------------------

WIDTH = 760
LINE = 18
PAD = 12
GAP = 36
LEFT_X, RIGHT_X, BOX_W = 16, 404, 340
LABEL_CHARS = 36  # in the drawing; the table beside it has every label whole


def prisma_diagram(flow: dict) -> dict:
    """Boxes, lines of text and arrows of the flow in SVG coordinates; the template draws
    them (no JavaScript, readable as plain SVG text)."""
    removed = flow["removed_before_screening"]
    identification = [
        ("Records identified", flow["identified"]["total"], True),
        *((source["label"], source["records"], False) for source in flow["identified"]["sources"]),
    ]
    removal = [
        ("Records removed before screening", removed["total"], True),
        ("Duplicates merged", removed["duplicates"], False),
        ("Records that could not be read", removed["unreadable"], False),
    ]
    screening = [("Records screened", flow["screened"], True)]
    exclusion = [
        ("Records excluded", flow["excluded"]["total"], True),
        *((r["reason"], r["papers"], False) for r in flow["excluded"]["reasons"]),
        ("Still in the inbox", flow["inbox"], True),
        ("Deleted by curators", flow["deleted"], True),
    ]
    included = [("Papers included", flow["included"], True)]
    if "listing" in flow:
        included.append(("In this listing", flow["listing"]["papers"], True))

    boxes: list[dict] = []
    arrows: list[tuple[float, float, float, float]] = []
    top = 16
    row_tops = []
    for left_lines, right_lines, stage in (
        (identification, removal, "Identification"),
        (screening, exclusion, "Screening"),
        (included, None, "Included"),
    ):
        height = max(_height(left_lines), _height(right_lines) if right_lines else 0)
        left = _box(LEFT_X, top, _height(left_lines), left_lines, stage)
        boxes.append(left)
        if right_lines:
            right = _box(RIGHT_X, top, _height(right_lines), right_lines, "")
            boxes.append(right)
            mid = top + min(left["height"], right["height"]) / 2
            arrows.append((LEFT_X + BOX_W, mid, RIGHT_X, mid))
        row_tops.append((top, left["height"]))
        top += height + GAP
    for (upper, upper_h), (lower, _) in itertools.pairwise(row_tops):
        x = LEFT_X + BOX_W / 2
        arrows.append((x, upper + upper_h, x, lower))
    return {"width": WIDTH, "height": top - GAP + 16, "boxes": boxes, "arrows": arrows}


def _height(lines: list) -> int:
    return PAD * 2 + LINE * len(lines)


def _box(x: int, y: int, height: int, lines: list, stage: str) -> dict:
    return {
        "x": x,
        "y": y,
        "width": BOX_W,
        "height": height,
        "stage": stage,
        "lines": [
            {
                "x": x + PAD + (0 if strong else 12),
                "y": y + PAD + LINE * (i + 1) - 5,
                "label": label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…",
                "value": "not recorded" if value is None else f"{value:,}",
                "strong": strong,
                "value_x": x + BOX_W - PAD,
            }
            for i, (label, value, strong) in enumerate(lines)
        ],
    }
