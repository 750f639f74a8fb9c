"""The researchers' HTML pages about papers: home, search with facets, a paper, an author,
the gap map, and the BibTeX download of any list.

Views translate a request into selector calls and a template; the public sees included
papers and accepted placements only (`papers_visible_to` / `placements_visible_to`), and
every page runs a fixed number of queries however many rows it shows.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.core.throttle import search_throttled
from apps.core.views import public_page
from apps.papers.bibtex import bibtex_entry, citation_key, write_bibtex
from apps.papers.filtersets import PaperFilterSet
from apps.papers.models import Author, Authorship, Paper
from apps.papers.selectors import (
    category_counts,
    newest_papers,
    paper_counts,
    papers_visible_to,
    phases_overview,
    placements_visible_to,
    related_papers,
)
from apps.taxonomy.models import Challenge, Phase

logger = logging.getLogger(__name__)

PAGE_SIZE = 20
# Parameters a list page carries that the facet form does not show as a control; they ride
# along as hidden inputs so that applying a facet keeps them.
CARRIED_PARAMETERS = (
    "direction",
    "author",
    "year_min",
    "year_max",
    "source",
    "has_doi",
    "arxiv_id",
    "doi",
    "status",
)
SORTS = [
    ("relevance", "Relevance"),
    ("-published", "Newest first"),
    ("published", "Oldest first"),
    ("title", "Title, A to Z"),
]
BIBTEX_CHUNK = 500


def paginate(request: HttpRequest, rows: QuerySet, *, per_page: int = PAGE_SIZE):  # type: ignore[no-untyped-def]
    """The requested page of `rows`; a page that does not exist is a 404 that says so."""
    paginator = Paginator(rows, per_page)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger as error:
        raise Http404(f"“{number}” is not a page number.") from error
    except EmptyPage as error:
        raise Http404(
            f"There is no page {number}: this list has {paginator.num_pages} "
            f"page{'s' if paginator.num_pages != 1 else ''}."
        ) from error


def query_for_bibtex(query: QueryDict) -> str:
    """The list's filters without the page: the BibTeX download takes every result."""
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def filter_errors(filterset: PaperFilterSet) -> list[str]:
    """Readable messages for the filters a request got wrong."""
    labels = {name: f.label or name for name, f in filterset.filters.items()}
    return [
        f"{labels.get(name, name)}: {' '.join(str(m) for m in messages)}"
        for name, messages in filterset.errors.items()
    ]


@public_page
def home(request: HttpRequest) -> HttpResponse:
    """The six lifecycle phases with their counts, the newest additions and a search box."""
    papers = papers_visible_to(request.user)
    context = {
        "phases": phases_overview(papers),
        "newest": newest_papers(papers, limit=8),
        "paper_total": papers.count(),
    }
    return render(request, "papers/home.html", context)


@dataclass
class FacetValue:
    """One choice of a facet: its parameter value, what to show, how many results it has."""

    value: str
    label: str
    count: int
    selected: bool
    group: str = ""


@dataclass
class Facet:
    """A facet of the paper search (phase, challenge, year or category)."""

    name: str
    title: str
    multiple: bool
    values: list[FacetValue] = field(default_factory=list)

    @property
    def selected(self) -> list[FacetValue]:
        return [v for v in self.values if v.selected]


def _selected(query: QueryDict, key: str) -> set[str]:
    return {part for item in query.getlist(key) for part in item.split(",") if part}


def _without_parameter(query: QueryDict, key: str) -> QueryDict:
    query = query.copy()
    query.pop(key, None)
    return query


def build_facets(request: HttpRequest, base: QuerySet[Paper]) -> list[Facet]:
    """The four facets with counts. Each facet counts the results of every *other* filter,
    so choosing a phase still shows how many papers the other phases have (OR within a
    facet). A fixed number of queries: one count per facet, plus the names to show."""
    query = request.GET

    def results_without(key: str) -> QuerySet[Paper]:
        filterset = PaperFilterSet(_without_parameter(query, key), queryset=base)
        return filterset.qs

    phases = list(Phase.objects.order_by("order").values_list("slug", "name"))
    challenges = list(
        Challenge.objects.order_by("phase__order", "position", "name").values_list(
            "slug", "name", "phase__name"
        )
    )

    selected = _selected(query, "phase")
    counts = {r["phase"]: r["count"] for r in paper_counts(results_without("phase"), ["phase"])}
    phase_facet = Facet("phase", "Phase", multiple=True)
    for slug, name in phases:
        if counts.get(slug) or slug in selected:
            phase_facet.values.append(FacetValue(slug, name, counts.get(slug, 0), slug in selected))

    selected = _selected(query, "challenge")
    results = results_without("challenge")
    counts = {r["challenge"]: r["count"] for r in paper_counts(results, ["challenge"])}
    challenge_facet = Facet("challenge", "Challenge", multiple=True)
    for slug, name, phase_name in challenges:
        if counts.get(slug) or slug in selected:
            challenge_facet.values.append(
                FacetValue(slug, name, counts.get(slug, 0), slug in selected, group=phase_name)
            )

    selected = _selected(query, "year")
    rows = paper_counts(results_without("year"), ["year"])
    year_facet = Facet("year", "Year", multiple=False)
    year_counts = {str(r["year"]): r["count"] for r in rows if r["year"] is not None}
    for year in sorted(year_counts.keys() | selected, reverse=True):
        year_facet.values.append(FacetValue(year, year, year_counts.get(year, 0), year in selected))

    selected = _selected(query, "category")
    rows = category_counts(results_without("category"), limit=25)
    category_facet = Facet("category", "arXiv category", multiple=True)
    seen = set()
    for row in rows:
        code = row["category"]
        seen.add(code)
        category_facet.values.append(FacetValue(code, code, row["count"], code in selected))
    for code in sorted(selected - seen):
        category_facet.values.append(FacetValue(code, code, 0, True))

    return [phase_facet, challenge_facet, year_facet, category_facet]


@public_page
def paper_list(request: HttpRequest) -> HttpResponse:
    """Search and browse papers: the API's filters and search, facets with counts, sorting,
    pagination, and a BibTeX download of the same results."""
    if request.GET.get("q", "").strip():  # a search: a cached answer never gets here
        throttled = search_throttled(request)
        if throttled is not None:
            return throttled
    base = papers_visible_to(request.user)
    filterset = PaperFilterSet(request.GET, queryset=base)
    if not filterset.is_valid():
        errors = {"errors": filter_errors(filterset), "query": request.GET.get("q", "")}
        return render(request, "papers/paper_list.html", errors, status=400)
    page = paginate(request, filterset.qs.for_list())
    searching = bool(filterset.form.cleaned_data.get("q"))
    sort = filterset.form.cleaned_data.get("ordering") or ("relevance" if searching else "")
    context: dict[str, object] = {
        "page": page,
        "facets": build_facets(request, base),
        "query": filterset.form.cleaned_data.get("q") or "",
        "sort": sort or "-published",
        "sorts": [s for s in SORTS if searching or s[0] != "relevance"],
        "carried": [(k, v) for k in CARRIED_PARAMETERS for v in request.GET.getlist(k)],
        "bibtex_query": query_for_bibtex(request.GET),
        "filtered": any(k != "page" for k in request.GET),
    }
    return render(request, "papers/paper_list.html", context)


@require_safe
def paper_bibtex(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    """Every paper the same filters select, as a streamed .bib file."""
    if request.GET.get("q", "").strip():
        throttled = search_throttled(request)
        if throttled is not None:
            return throttled
    filterset = PaperFilterSet(request.GET, queryset=papers_visible_to(request.user))
    if not filterset.is_valid():
        message = "Cannot export these results:\n" + "\n".join(filter_errors(filterset))
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    papers = filterset.qs.for_list().iterator(chunk_size=BIBTEX_CHUNK)
    response = StreamingHttpResponse(
        _encode(write_bibtex(papers)), content_type="application/x-bibtex; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="sellm-papers-{stamp}.bib"'
    return response


def _encode(entries: Iterable[str]) -> Iterable[bytes]:
    for entry in entries:
        yield (entry + "\n").encode("utf-8")


@public_page
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One paper: metadata, abstract, its placements with provenance, BibTeX, related papers."""
    papers = papers_visible_to(request.user)
    paper = papers.for_list().filter(pk=pk).first()  # type: ignore[attr-defined]
    if paper is None:
        raise Http404(f"There is no paper with id {pk} in the knowledge base.")
    visible = placements_visible_to(request.user)
    placements = list(visible.filter(paper=paper).for_display())  # type: ignore[attr-defined]
    categories = sorted(
        paper.categories.all(), key=lambda c: (c.code != paper.primary_category, c.code)
    )
    context = {
        "paper": paper,
        "placements": placements,
        "categories": categories,
        "bibtex": bibtex_entry(paper, citation_key(paper)),
        "related": related_papers(paper, papers, limit=8),
    }
    return render(request, "papers/paper_detail.html", context)


@public_page
def author_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An author and their papers (the public ones), newest first."""
    missing = Http404(f"There is no author with id {pk} with papers in the knowledge base.")
    author = Author.objects.filter(pk=pk).first()
    if author is None:
        raise missing
    papers = (
        papers_visible_to(request.user)
        .filter(Exists(Authorship.objects.filter(paper=OuterRef("pk"), author=author)))
        .order_by("-published_at", "-id")
    )
    page = paginate(request, papers.for_list())  # type: ignore[attr-defined]
    if not page.paginator.count:  # only hidden papers: the public must not learn the name
        raise missing
    return render(request, "papers/author_detail.html", {"author": author, "page": page})


# --- Gap map -------------------------------------------------------------------------------

YEAR_COLUMNS = 8
RECENT_YEARS = 2
HEAT_LEVELS = 5
# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PHASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")


@dataclass
class GapRow:
    """One heatmap row: a phase's own total or one of its challenges, counts per year."""

    kind: str  # "phase" | "challenge"
    slug: str
    name: str
    cells: list[tuple[int, int, int]]  # (year, count, heat level 0 to 5)
    earlier: int
    total: int
    recent: int


def heat(count: int, top: int) -> int:
    """0 for no papers, else 1 to 5 by share of the busiest cell."""
    if count <= 0 or top <= 0:
        return 0
    return max(1, min(HEAT_LEVELS, -(-count * HEAT_LEVELS // top)))


def _year_window(years: Iterable[int]) -> list[int]:
    this_year = timezone.now().year
    latest = max([*years, this_year])
    return list(range(latest - YEAR_COLUMNS + 1, latest + 1))


def _gap_rows(phases, challenges, by_phase, by_challenge, years):  # type: ignore[no-untyped-def]
    first = years[0]
    recent = set(years[-RECENT_YEARS:])
    rows: list[tuple[object, GapRow, list[GapRow]]] = []

    def busiest(nested: dict) -> int:
        return max(
            (c for counts in nested.values() for y, c in counts.items() if y in years), default=0
        )

    # Phase rows and challenge rows are shaded on their own scales: a phase holds far more
    # papers than any one challenge, and would wash the challenge cells out.
    tops = {"phase": busiest(by_phase), "challenge": busiest(by_challenge)}

    def row(kind: str, slug: str, name: str, counts: dict) -> GapRow:
        top = tops[kind]
        return GapRow(
            kind=kind,
            slug=slug,
            name=name,
            cells=[(y, counts.get(y, 0), heat(counts.get(y, 0), top)) for y in years],
            earlier=sum(c for y, c in counts.items() if y is not None and y < first),
            total=sum(counts.values()),
            recent=sum(c for y, c in counts.items() if y in recent),
        )

    for phase in phases:
        own = [
            row("challenge", c.slug, c.name, by_challenge.get(c.slug, {}))
            for c in challenges
            if c.phase_id == phase.pk
        ]
        rows.append(
            (phase, row("phase", phase.slug, phase.name, by_phase.get(phase.slug, {})), own)
        )
    return rows


def _nested(rows: list[dict], key: str) -> dict[str, dict[int | None, int]]:
    nested: dict[str, dict[int | None, int]] = {}
    for r in rows:
        nested.setdefault(r[key], {})[r["year"]] = r["count"]
    return nested


@dataclass
class ChartSeries:
    """One phase's line in the papers-per-year chart, in SVG coordinates."""

    name: str
    colour: str
    points: list[tuple[float, float, int, int]]  # (x, y, year, count)

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in self.points)


def phase_year_chart(phases, by_phase, years) -> dict:  # type: ignore[no-untyped-def]
    """Geometry of a line chart of papers per phase per year, drawn as SVG by the template."""
    width, height, left, right, top_pad, bottom = 720, 320, 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    peak = max((by_phase.get(p.slug, {}).get(y, 0) for p in phases for y in years), default=0)
    step = max(1, -(-peak // 4))
    y_max = max(step * 4, 1)

    def x_of(i: int) -> float:
        return left + (plot_w * i / max(1, len(years) - 1))

    def y_of(count: int) -> float:
        return top_pad + plot_h - plot_h * count / y_max

    series = [
        ChartSeries(
            name=phase.name,
            colour=PHASE_COLOURS[i % len(PHASE_COLOURS)],
            points=[
                (
                    x_of(j),
                    y_of(by_phase.get(phase.slug, {}).get(y, 0)),
                    y,
                    by_phase.get(phase.slug, {}).get(y, 0),
                )
                for j, y in enumerate(years)
            ],
        )
        for i, phase in enumerate(phases)
    ]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top_pad,
        "bottom": top_pad + plot_h,
        "x_ticks": [(x_of(j), y) for j, y in enumerate(years)],
        "y_ticks": [(y_of(v), v) for v in range(0, y_max + 1, step)],
        "series": series,
    }


@public_page
def gap_map(request: HttpRequest) -> HttpResponse:
    """Where the research is thin: papers per challenge and year, and per phase and year."""
    papers = papers_visible_to(request.user)
    phases = list(Phase.objects.order_by("order"))
    challenges = list(Challenge.objects.order_by("phase__order", "position", "name"))
    by_phase = _nested(paper_counts(papers, ["phase", "year"]), "phase")
    by_challenge = _nested(paper_counts(papers, ["challenge", "year"]), "challenge")
    seen_years = {y for counts in by_phase.values() for y in counts if y is not None}
    years = _year_window(seen_years)
    rows = _gap_rows(phases, challenges, by_phase, by_challenge, years)
    quiet = [r for _, _, own in rows for r in own if r.recent == 0]
    context = {
        "years": years,
        "recent_years": years[-RECENT_YEARS:],
        "rows": rows,
        "quiet": quiet,
        "chart": phase_year_chart(phases, by_phase, years),
        "heat_levels": range(HEAT_LEVELS + 1),
    }
    return render(request, "papers/gap_map.html", context)
