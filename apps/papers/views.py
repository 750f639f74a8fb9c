"""The researchers' HTML pages about papers: home, search with facets, a paper, an author,
the gap map, and the BibTeX download of any list.

Views translate a request into selector calls and a template; the public sees included
papers and accepted placements only (`papers_visible_to` / `placements_visible_to`), and
every page runs a fixed number of queries however many rows it shows.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, Max, Min, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.core.pagination import filter_errors, paginate, query_for_bibtex
from apps.core.roles import is_curator
from apps.core.throttle import search_throttled
from apps.core.views import public_page
from apps.papers.bibtex import bibtex_entry, citation_key, write_bibtex
from apps.papers.counts import summary_totals
from apps.papers.csl import write_csl_json
from apps.papers.filtersets import PaperFilterSet, active_filters
from apps.papers.gaps import HEAT_LEVELS, GapMap
from apps.papers.gaps import gap_map as gap_figures
from apps.papers.metadata import description, highwire_tags, json_ld
from apps.papers.models import Author, Authorship, Paper
from apps.papers.relations import (
    LIST_ROWS,
    attach_relations,
    attach_to_page,
    page_links,
    stream_with_relations,
)
from apps.papers.ris import write_ris
from apps.papers.search import SearchPaginator, count_label
from apps.papers.selectors import (
    author_profile,
    authors_with_papers,
    category_counts,
    citation_neighbours,
    facet_counts,
    newest_papers,
    paper_counts,
    papers_visible_to,
    phases_overview,
    placements_visible_to,
    related_papers,
)
from apps.taxonomy.models import Challenge, Phase

logger = logging.getLogger(__name__)

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
    "kind",
    "has_code",
    "cited_by_min",
)
SORTS = [
    ("relevance", "Relevance"),
    ("-published", "Newest first"),
    ("published", "Oldest first"),
    ("title", "Title, A to Z"),
    ("-cited_by_count", "Most cited first"),
]
BIBTEX_CHUNK = 500


@public_page
def home(request: HttpRequest) -> HttpResponse:
    """The six lifecycle phases with their counts, the newest additions and a search box."""
    papers = papers_visible_to(request.user)
    public = not is_curator(request.user)
    context = {
        "phases": phases_overview(papers, public=public),
        "newest": attach_relations(newest_papers(papers, limit=8), links=page_links()),
        "paper_total": sum(summary_totals("all").values()) if public else papers.count(),
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
    approximate: bool = False  # estimated from a sample of a large result set: shown "≈"


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


# Facet counts of a filtered list are exact while its results hold at most this many papers
# (the search's exact total, COUNT_CAP); above it they are estimated from a sample and
# labelled "≈" (a grouped count over tens of thousands of papers costs many times the
# page's rows; a sample does not).
FACET_EXACT = 5_000
FACETS = frozenset({"phase", "challenge", "year", "category"})
FACET_CATEGORIES = 25  # the most frequent, and any chosen
FACET_SAMPLE_BLOCKS = 50
FACET_SAMPLE_SHARE = 0.1  # of the id range, in evenly spaced blocks


def _two_digits(value: float) -> int:
    """An estimate rounded to two significant digits: 12,345 → 12,000."""
    whole = round(value)
    return round(whole, -max(0, len(str(whole)) - 2)) if whole else 0


class FacetSample:
    """Evenly spaced blocks of paper ids: a deterministic sample of any result set, with the
    factor that scales a count in the sample to the whole set. One query, when first needed."""

    def __init__(self) -> None:
        self._blocks: tuple[Q, float] | None = None

    def restrict(self, papers: QuerySet[Paper]) -> tuple[QuerySet[Paper], float]:
        if self._blocks is None:
            bounds = Paper.objects.aggregate(low=Min("pk"), high=Max("pk"))
            low, high = bounds["low"] or 0, bounds["high"] or 0
            span = high - low + 1
            width = max(1, int(span * FACET_SAMPLE_SHARE / FACET_SAMPLE_BLOCKS))
            step = span / FACET_SAMPLE_BLOCKS
            ranges = Q()
            for n in range(FACET_SAMPLE_BLOCKS):
                start = low + int(n * step)
                ranges |= Q(pk__gte=start, pk__lt=start + width)
            self._blocks = (ranges, span / (width * FACET_SAMPLE_BLOCKS))
        ranges, scale = self._blocks
        return papers.filter(ranges), max(1.0, scale)


def build_facets(
    request: HttpRequest,
    base: QuerySet[Paper],
    *,
    public: bool = False,
    total: int = 0,
    results: QuerySet[Paper] | None = None,
) -> list[Facet]:
    """The four facets with counts. Each facet counts the results of every *other* filter,
    so choosing a phase still shows how many papers the other phases have (OR within a
    facet). A fixed number of queries: one count per facet, plus the names to show.

    `public`: `base` is every included paper. Then, with no filter but the year, every
    facet counts a set the summary of counts holds (all papers, or one year's), and is read
    from it instead of grouping the table: a few small queries. With other filters, when
    the results (`total` of them) are more than FACET_EXACT papers, so is every set a facet
    counts (each drops one filter), and the facets are estimated from a sample (`≈`).
    Deciding on the total the page counted anyway costs no query: counting each facet's set
    first would cost as much as grouping it where the filters are slow to evaluate.

    `results`: the page's own results (its filterset's queryset), which is what a facet
    counts when the query does not filter by that facet: reused rather than filtered anew
    (a search with no facet chosen builds one filterset, not five).
    """
    query = request.GET
    active = active_filters(query)
    summary = public and active <= {"year"}
    year = int(query["year"]) if summary and "year" in active else None

    sample = FacetSample()
    estimated: set[str] = set()
    scales: dict[str, float] = {}
    sampling = public and not summary and total > FACET_EXACT

    def results_without(key: str) -> QuerySet[Paper]:
        """The results of every filter but `key`'s: what its facet counts. For the public,
        a sample of them when the page's results are more than FACET_EXACT (`scales[key]`
        says by how much to multiply); curators always count them all."""
        if results is not None and key not in active:
            counted = results
        else:
            counted = PaperFilterSet(_without_parameter(query, key), queryset=base).qs
        if not sampling:
            return counted
        estimated.add(key)
        counted, scales[key] = sample.restrict(counted)
        return counted

    def scaled(key: str, count: int) -> int:
        return _two_digits(count * scales[key]) if key in estimated else count

    # No facet chosen (a search, a kind, an author…): every facet counts the same set, the
    # page's results, so its four groupings are one statement over it.
    once = None
    if results is not None and not summary and active.isdisjoint(FACETS):
        once = facet_counts(results_without("phase"))
        for key in FACETS:
            results_without(key)  # the same set: marks each facet sampled, if it is

    def counts_of(level: str) -> dict[str, int]:
        if summary:
            totals = summary_totals(level, year=year)
            return {slug: totals[str(pk)] for pk, slug in ids[level].items() if totals.get(str(pk))}
        if once is not None:
            return {slug: scaled(level, n) for slug, n in once[level].items()}
        rows = paper_counts(results_without(level), [level])
        return {r[level]: scaled(level, r["count"]) for r in rows}

    phases = list(Phase.objects.order_by("order").values_list("pk", "slug", "name"))
    challenges = list(
        Challenge.objects.order_by("phase__order", "position", "name").values_list(
            "pk", "slug", "name", "phase__name"
        )
    )
    ids = {"phase": {r[0]: r[1] for r in phases}, "challenge": {r[0]: r[1] for r in challenges}}

    selected = _selected(query, "phase")
    counts = counts_of("phase")
    phase_facet = Facet("phase", "Phase", multiple=True)
    for _pk, slug, name in phases:
        if counts.get(slug) or slug in selected:
            phase_facet.values.append(
                FacetValue(
                    slug, name, counts.get(slug, 0), slug in selected, "", "phase" in estimated
                )
            )

    selected = _selected(query, "challenge")
    counts = counts_of("challenge")
    challenge_facet = Facet("challenge", "Challenge", multiple=True)
    for _pk, slug, name, phase_name in challenges:
        if counts.get(slug) or slug in selected:
            challenge_facet.values.append(
                FacetValue(
                    slug,
                    name,
                    counts.get(slug, 0),
                    slug in selected,
                    group=phase_name,
                    approximate="challenge" in estimated,
                )
            )

    selected = _selected(query, "year")
    if once is not None:
        rows = [{"year": value, "count": n} for value, n in once["year"].items()]
    else:
        rows = paper_counts(results_without("year"), ["year"], public=summary)
    year_facet = Facet("year", "Year", multiple=False)
    year_counts = {
        str(r["year"]): scaled("year", r["count"]) for r in rows if r["year"] is not None
    }
    for value in sorted(year_counts.keys() | selected, reverse=True):
        year_facet.values.append(
            FacetValue(
                value,
                value,
                year_counts.get(value, 0),
                value in selected,
                approximate="year" in estimated,
            )
        )

    selected = _selected(query, "category")
    if once is not None:
        ranked = sorted(once["category"].items(), key=lambda pair: (-pair[1], pair[0]))
        rows = [{"category": code, "count": n} for code, n in ranked[:FACET_CATEGORIES]]
    else:
        rows = category_counts(
            results_without("category"), limit=FACET_CATEGORIES, public=summary, year=year
        )
    category_facet = Facet("category", "arXiv category", multiple=True)
    seen = set()
    for row in rows:
        code = row["category"]
        seen.add(code)
        category_facet.values.append(
            FacetValue(
                code,
                code,
                scaled("category", row["count"]),
                code in selected,
                approximate="category" in estimated,
            )
        )
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
        errors = {
            "errors": filter_errors(filterset),
            "query": request.GET.get("q", ""),
            "query_error": "q" in filterset.errors,
        }
        return render(request, "papers/paper_list.html", errors, status=400)
    page = attach_to_page(
        paginate(request, filterset.qs, paginator_class=SearchPaginator), links=page_links()
    )
    searching = bool(filterset.form.cleaned_data.get("q"))
    sort = filterset.form.cleaned_data.get("ordering") or ("relevance" if searching else "")
    context: dict[str, object] = {
        "page": page,
        "total": count_label(page.paginator),
        "facets": build_facets(
            request,
            base,
            public=not is_curator(request.user),
            total=page.paginator.count,
            results=filterset.qs,
        ),
        "query": filterset.form.cleaned_data.get("q") or "",
        "sort": sort or "-published",
        "sorts": [s for s in SORTS if searching or s[0] != "relevance"],
        "carried": [(k, v) for k in CARRIED_PARAMETERS for v in request.GET.getlist(k)],
        "bibtex_query": query_for_bibtex(request.GET),
        "filtered": any(k != "page" for k in request.GET),
    }
    return render(request, "papers/paper_list.html", context)


# Downloads of any list (the list's filters) and of one paper: (writer, content type, suffix).
EXPORTS = {
    "bibtex": (write_bibtex, "application/x-bibtex", "bib"),
    "ris": (write_ris, "application/x-research-info-systems", "ris"),
    "csljson": (write_csl_json, "application/vnd.citationstyles.csl+json", "json"),
}


def _export(papers: Iterable[Paper], fmt: str, name: str) -> StreamingHttpResponse:
    writer, content_type, suffix = EXPORTS[fmt]
    response = StreamingHttpResponse(
        _encode(writer(papers), separator="" if fmt == "csljson" else "\n"),
        content_type=f"{content_type}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.{suffix}"'
    return response


@require_safe
def paper_export(request: HttpRequest, fmt: str = "bibtex") -> HttpResponse | StreamingHttpResponse:
    """Every paper the same filters select, streamed as a .bib, .ris or CSL-JSON file."""
    if request.GET.get("q", "").strip():
        throttled = search_throttled(request)
        if throttled is not None:
            return throttled
    filterset = PaperFilterSet(request.GET, queryset=papers_visible_to(request.user))
    if not filterset.is_valid():
        message = "Cannot export these results:\n" + "\n".join(filter_errors(filterset))
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    papers = stream_with_relations(filterset.qs, chunk_size=BIBTEX_CHUNK)
    return _export(papers, fmt, f"sellm-papers-{timezone.now().strftime('%Y%m%d')}")


paper_bibtex = paper_export  # the list's BibTeX download (URL name "bibtex")


@require_safe
def paper_export_one(request: HttpRequest, pk: int, fmt: str) -> StreamingHttpResponse:
    """One paper as a .bib, .ris or CSL-JSON file (what its page shows under "Cite")."""
    paper = papers_visible_to(request.user).filter(pk=pk).first()
    if paper is None:
        raise Http404(f"There is no paper with id {pk} in the knowledge base.")
    return _export(attach_relations([paper]), fmt, citation_key(paper))


def _encode(entries: Iterable[str], separator: str = "\n") -> Iterable[bytes]:
    for entry in entries:
        yield (entry + separator).encode("utf-8")


@public_page
def paper_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One paper: metadata, abstract, its placements with provenance, BibTeX, related papers."""
    papers = papers_visible_to(request.user)
    paper = papers.filter(pk=pk).first()
    if paper is None:
        raise Http404(f"There is no paper with id {pk} in the knowledge base.")
    # The list rows (accepted placements: what the BibTeX entry names), and the categories;
    # the page's own list of placements is what the reader may see, with their review.
    attach_relations([paper], (*LIST_ROWS, "categories"), links=page_links())
    visible = placements_visible_to(request.user)
    placements = list(visible.filter(paper=paper).for_display())  # type: ignore[attr-defined]
    categories = sorted(
        paper.category_codes, key=lambda code: (code != paper.primary_category, code)
    )
    authors = [author["name"] for author in paper.author_rows]
    page_url = request.build_absolute_uri(reverse("papers:detail", args=[paper.pk]))
    neighbours = citation_neighbours(paper, papers)
    context = {
        "paper": paper,
        "placements": placements,
        "categories": categories,
        "bibtex": bibtex_entry(paper, citation_key(paper)),
        "related": attach_relations(related_papers(paper, papers, limit=8), links=page_links()),
        "highwire_tags": highwire_tags(paper, authors, page_url),
        "json_ld": json_ld(paper, authors, page_url),
        "description": description(paper, authors),
        "references": neighbours["references"],
        "cited_by": neighbours["cited_by"],
        "export_query": f"id={paper.pk}",
    }
    return render(request, "papers/paper_detail.html", context)


AUTHORS_PER_PAGE = 50


@public_page
def author_list(request: HttpRequest) -> HttpResponse:
    """Every author with public papers, alphabetical, searchable by any part of the name."""
    search = request.GET.get("q", "").strip()[:200]
    authors = authors_with_papers(papers_visible_to(request.user), search=search)
    page = paginate(request, authors, per_page=AUTHORS_PER_PAGE)
    return render(request, "papers/author_list.html", {"page": page, "query": search})


@public_page
def author_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An author: co-authors, years, the phases and challenges of their papers, and the
    papers themselves (the public ones), newest first."""
    missing = Http404(f"There is no author with id {pk} with papers in the knowledge base.")
    author = Author.objects.filter(pk=pk).first()
    if author is None:
        raise missing
    visible = papers_visible_to(request.user)
    papers = visible.filter(
        Exists(Authorship.objects.filter(paper=OuterRef("pk"), author=author))
    ).order_by("-published_at", "-id")
    page = attach_to_page(paginate(request, papers), links=page_links())
    if not page.paginator.count:  # only hidden papers: the public must not learn the name
        raise missing
    context = {"author": author, "page": page, "profile": author_profile(author, visible)}
    return render(request, "papers/author_detail.html", context)


# --- Gap map -------------------------------------------------------------------------------

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
PHASE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000")


@dataclass
class ChartSeries:
    """One phase's line in the papers-per-year chart, in SVG coordinates."""

    name: str
    colour: str
    points: list[tuple[float, float, int, int]]  # (x, y, year, count)

    @property
    def path(self) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in self.points)


def phase_year_chart(figures: GapMap) -> dict:
    """Geometry of a line chart of papers per phase per year, drawn as SVG by the template;
    it ends with the coverage window (the newest paper's year), never after it."""
    width, height, left, right, top_pad, bottom = 720, 320, 48, 16, 16, 40
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    years = figures.years
    peak = max((c.count for p in figures.phases for c in p.row.cells), default=0)
    step = max(1, -(-peak // 4))
    y_max = max(step * 4, 1)

    def x_of(i: int) -> float:
        return left + (plot_w * i / max(1, len(years) - 1))

    def y_of(count: int) -> float:
        return top_pad + plot_h - plot_h * count / y_max

    series = [
        ChartSeries(
            name=p.phase.name,
            colour=PHASE_COLOURS[i % len(PHASE_COLOURS)],
            points=[(x_of(j), y_of(c.count), c.year, c.count) for j, c in enumerate(p.row.cells)],
        )
        for i, p in enumerate(figures.phases)
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
    """Where the research is thin: papers per challenge and year, and per phase and year, as
    counts and shares of each year's papers, within the base's coverage window."""
    figures = gap_figures(papers_visible_to(request.user), public=not is_curator(request.user))
    context = {
        "figures": figures,
        "quiet": figures.flagged,
        "chart": phase_year_chart(figures),
        "heat_levels": range(HEAT_LEVELS + 1),
    }
    return render(request, "papers/gap_map.html", context)
