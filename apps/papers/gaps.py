"""The gap map's figures: papers per phase and challenge and year, as counts and as shares of
that year's papers, within the base's coverage window, with challenges flagged only where
they are thin against their own phase. The HTML page and the API read the same `GapMap`.

Honesty rules (issue 12): the window ends at the newest paper's year (a year after it is not
drawn as zero research, and that last year is marked partial up to the newest paper's date);
a cell's share divides by every public paper of that year in the base; a challenge is flagged
"no recent work" only when its phase has recent papers and it has none, "thin" when its share
of the phase's recent papers is under half of an even split among the phase's challenges —
and neither where the phase has fewer recent papers than challenges (too few to judge).
"""

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Max, QuerySet

from apps.papers.models import Paper
from apps.papers.selectors import paper_counts
from apps.taxonomy.models import Challenge, Phase

YEAR_COLUMNS = 8
RECENT_YEARS = 2
HEAT_LEVELS = 5
THIN_FACTOR = 0.5  # thin: under this fraction of an even split of the phase's recent papers
NO_RECENT_WORK = "no-recent-work"
THIN = "thin"


@dataclass
class GapCell:
    """One year of one row: papers, their share of the year's papers in the base, shade."""

    year: int
    count: int
    share: float
    level: int


@dataclass
class GapRow:
    """A phase's own row or one of its challenges."""

    kind: str  # "phase" | "challenge"
    slug: str
    name: str
    cells: list[GapCell]
    earlier: int  # papers before the window
    total: int
    recent: int  # papers in the recent years
    flag: str | None = None  # NO_RECENT_WORK | THIN | None
    recent_share_of_phase: float | None = None


@dataclass
class GapPhase:
    """A phase with its own row and its challenges' rows."""

    phase: Phase
    row: GapRow
    challenges: list[GapRow] = field(default_factory=list)


@dataclass
class GapMap:
    """Everything the gap map shows."""

    newest: date | None  # the newest paper's date (its year's 1 January if only a year)
    years: list[int]
    recent_years: list[int]
    partial_year: int | None  # the window's last year, when the coverage ends inside it
    year_totals: dict[int, int]
    phases: list[GapPhase]

    @property
    def totals_in_window(self) -> list[int]:
        """Papers in the base per year of the window, in order."""
        return [self.year_totals.get(year, 0) for year in self.years]

    @property
    def flagged(self) -> list[GapRow]:
        return [row for p in self.phases for row in p.challenges if row.flag]


def heat(share: float, top: float) -> int:
    """0 for no papers, else 1 to 5 by share of the row kind's largest share."""
    if share <= 0 or top <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, -(-int(share * 1000) * HEAT_LEVELS // int(top * 1000 or 1))))


def _nested(rows: list[dict], key: str) -> dict[str, dict[int | None, int]]:
    nested: dict[str, dict[int | None, int]] = {}
    for r in rows:
        nested.setdefault(r[key], {})[r["year"]] = r["count"]
    return nested


def _coverage(papers: QuerySet[Paper]) -> tuple[date | None, int | None]:
    """The newest paper's date and year (a paper with only a year counts as its 1 January)."""
    newest = papers.order_by().aggregate(published=Max("published_at"), year=Max("year"))
    published = newest["published"].date() if newest["published"] else None
    year = newest["year"]
    if published and (year is None or published.year >= year):
        return published, published.year
    if year is not None:
        return date(year, 1, 1), year
    return None, None


def gap_map(papers: QuerySet[Paper], *, public: bool = False) -> GapMap:
    """The figures for `papers` (the public ones for the public). A fixed number of queries;
    `public`: `papers` is every included paper, and the counts are read from the summary of
    counts (see `paper_counts`)."""
    phases = list(Phase.objects.order_by("order"))
    challenges = list(Challenge.objects.order_by("phase__order", "position", "name"))
    by_phase = _nested(paper_counts(papers, ["phase", "year"], public=public), "phase")
    by_challenge = _nested(paper_counts(papers, ["challenge", "year"], public=public), "challenge")
    year_totals = {
        r["year"]: r["count"]
        for r in paper_counts(papers, ["year"], public=public)
        if r["year"] is not None
    }
    newest, last = _coverage(papers)
    if last is None:
        empty = [GapPhase(p, _row("phase", p, {}, [], {}, 1.0)) for p in phases]
        return GapMap(None, [], [], None, {}, empty)
    years = list(range(last - YEAR_COLUMNS + 1, last + 1))
    recent = years[-RECENT_YEARS:]
    partial = last if newest and newest < date(last, 12, 31) else None

    def top(nested: dict) -> float:
        return max(
            (c / year_totals[y] for counts in nested.values() for y, c in counts.items()
             if y in years and year_totals.get(y)),
            default=0.0,
        )  # fmt: skip

    # Phase rows and challenge rows are shaded on their own scales: a phase holds far more
    # papers than any one challenge, and would wash the challenge cells out.
    tops = {"phase": top(by_phase), "challenge": top(by_challenge)}
    top_challenge = tops["challenge"]
    result = []
    for phase in phases:
        own = _row("phase", phase, by_phase.get(phase.slug, {}), years, year_totals, tops["phase"])
        rows = [
            _row("challenge", c, by_challenge.get(c.slug, {}), years, year_totals, top_challenge)
            for c in challenges
            if c.phase_id == phase.pk
        ]
        for row in rows:
            _flag(row, own, len(rows))
        result.append(GapPhase(phase, own, rows))
    return GapMap(newest, years, recent, partial, year_totals, result)


def _row(kind, item, counts, years, year_totals, top) -> GapRow:  # type: ignore[no-untyped-def]
    cells = []
    for year in years:
        count = counts.get(year, 0)
        share = count / year_totals[year] if year_totals.get(year) else 0.0
        cells.append(GapCell(year, count, round(share, 4), heat(share, top)))
    first = years[0] if years else None
    recent = set(years[-RECENT_YEARS:])
    return GapRow(
        kind=kind,
        slug=item.slug,
        name=item.name,
        cells=cells,
        earlier=sum(c for y, c in counts.items() if y is not None and first and y < first),
        total=sum(counts.values()),
        recent=sum(c for y, c in counts.items() if y in recent),
    )


def _flag(row: GapRow, phase: GapRow, siblings: int) -> None:
    """Flag a challenge only against its own phase's recent papers, and only where the
    phase has enough of them that an even split would give each challenge one."""
    if not phase.recent:
        return  # the base has no recent papers in this phase: nothing to compare against
    row.recent_share_of_phase = round(row.recent / phase.recent, 4)
    if phase.recent < siblings:
        return  # too few recent papers in the phase to call any one challenge thin
    if row.recent == 0:
        row.flag = NO_RECENT_WORK
    elif row.recent_share_of_phase < THIN_FACTOR / max(siblings, 1):
        row.flag = THIN
