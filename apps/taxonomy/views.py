"""The researchers' HTML pages of the survey's taxonomy: a phase, a challenge, a research
direction — each with the papers placed in it (included papers, accepted placements)."""

import logging

from django.core.paginator import Page
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from apps.core.pagination import filter_errors, paginate, query_for_bibtex
from apps.core.query import subquery_count
from apps.core.roles import is_curator
from apps.core.views import public_page
from apps.papers.counts import summary_rows, summary_totals
from apps.papers.filtersets import PaperFilterSet
from apps.papers.models import Placement
from apps.papers.relations import attach_relations, attach_to_page, page_links
from apps.papers.search import SearchPaginator
from apps.papers.selectors import (
    challenge_paper_samples,
    paper_counts,
    papers_visible_to,
    placements_visible_to,
    taxonomy_paper_counts,
)
from apps.papers.views import SORTS
from apps.taxonomy.models import Challenge, Phase, Provenance, ResearchDirection

logger = logging.getLogger(__name__)

CHALLENGE_SAMPLE = 5


@public_page
def phase_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A phase: research status, challenges with their newest papers, research directions,
    and the phase's papers, filterable and paginated."""
    phase = Phase.objects.filter(slug=slug).first()
    if phase is None:
        raise Http404(f"There is no lifecycle phase called “{slug}”.")
    papers = papers_visible_to(request.user)
    # A challenge placement always carries its challenge's phase, so counting among the
    # phase's papers gives the same numbers while scanning a sixth of the placements.
    in_phase = papers.placed_in(phase=phase)  # type: ignore[attr-defined]
    challenges = list(phase.challenges.order_by("position", "name"))
    samples = challenge_paper_samples(challenges, request.user, per_challenge=CHALLENGE_SAMPLE)
    public = not is_curator(request.user)
    if public:  # the summary of counts holds the public's numbers: no grouping per request
        by_id = summary_totals("challenge")
        counts = {c.slug: by_id.get(str(c.pk), 0) for c in challenges}
        years = sorted(
            {y for item, y, _n in summary_rows("phase") if item == str(phase.pk) and y},
            reverse=True,
        )
    else:
        counts = {r["challenge"]: r["count"] for r in paper_counts(in_phase, ["challenge"])}
        rows = reversed(paper_counts(in_phase, ["year"]))
        years = [r["year"] for r in rows if r["year"] is not None]
    for challenge in challenges:
        challenge.sample = samples.get(challenge.pk, [])  # type: ignore[attr-defined]
        challenge.paper_count = counts.get(challenge.slug, 0)  # type: ignore[attr-defined]
    directions = phase.directions.order_by("position", "name").prefetch_related(
        Prefetch("challenges", queryset=Challenge.objects.order_by("position", "name"))
    )

    query = request.GET.copy()
    query.setlist("phase", [phase.slug])  # this page's papers, whatever the query says
    filterset = PaperFilterSet(query, queryset=papers)
    context = {
        "phase": phase,
        "topics": phase.status_topics.all(),
        "challenges": challenges,
        "directions": directions,
        "years": years,
        "sorts": [s for s in SORTS if s[0] != "relevance" or request.GET.get("q")],
        "bibtex_query": query_for_bibtex(query),
    }
    if not filterset.is_valid():
        context["errors"] = filter_errors(filterset)
        return render(request, "taxonomy/phase_detail.html", context, status=400)
    cleaned = filterset.form.cleaned_data
    context |= {
        "page": attach_to_page(
            paginate(request, filterset.qs, paginator_class=SearchPaginator), links=page_links()
        ),
        "query": cleaned.get("q") or "",
        "chosen_challenge": request.GET.get("challenge", ""),
        "chosen_year": cleaned.get("year"),
        "sort": cleaned.get("ordering") or ("relevance" if cleaned.get("q") else "-published"),
    }
    return render(request, "taxonomy/phase_detail.html", context)


def placements_of(request: HttpRequest, **target: object) -> QuerySet[Placement]:
    """Accepted placements on `target` of the papers this user may see, newest paper first,
    with their papers."""
    return (
        placements_visible_to(request.user)
        .accepted()  # type: ignore[attr-defined]
        .filter(paper__in=papers_visible_to(request.user).values("pk"), **target)
        .select_related("paper")
        .order_by("-paper__published_at", "-paper_id")
    )


def placement_page(request: HttpRequest, **target: object) -> Page:
    """A page of `placements_of(target)`, their papers with their authors (one query). Only
    the authors: each paper row shows the placement's own evidence instead of its tags."""
    page = paginate(request, placements_of(request, **target))
    page.object_list = list(page.object_list)
    attach_relations(
        [placement.paper for placement in page.object_list], ("authors",), links=page_links()
    )
    return page


@public_page
def challenge_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A challenge: its description and provenance, the directions that address it, and the
    papers placed in it with their evidence notes."""
    challenge = Challenge.objects.select_related("phase").filter(slug=slug).first()
    if challenge is None:
        raise Http404(f"There is no challenge called “{slug}”.")
    context = {
        "challenge": challenge,
        "directions": challenge.directions.order_by("phase__order", "position", "name"),
        "page": placement_page(request, challenge=challenge),
    }
    return render(request, "taxonomy/challenge_detail.html", context)


@public_page
def direction_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A research direction: its status, provenance, the challenges it addresses, and the
    papers placed in it with their evidence notes."""
    direction = ResearchDirection.objects.select_related("phase").filter(slug=slug).first()
    if direction is None:
        raise Http404(f"There is no research direction called “{slug}”.")
    context = {
        "direction": direction,
        "challenges": direction.challenges.order_by("position", "name"),
        "page": placement_page(request, direction=direction),
    }
    return render(request, "taxonomy/researchdirection_detail.html", context)


# --- Index pages (issue 12) -------------------------------------------------------------------


@public_page
def phase_index(request: HttpRequest) -> HttpResponse:
    """The six phases with their papers, challenges and directions counted, and how many of
    those the survey names and how many sellm's curators added. Four queries."""
    survey = Provenance.SURVEY
    phases = Phase.objects.annotate(
        challenge_count=subquery_count(Challenge, "phase"),
        survey_challenge_count=subquery_count(Challenge, "phase", provenance=survey),
        direction_count=subquery_count(ResearchDirection, "phase"),
        survey_direction_count=subquery_count(ResearchDirection, "phase", provenance=survey),
    ).order_by("order")
    counts = taxonomy_paper_counts()
    rows = list(phases)
    for phase in rows:
        phase.paper_count = counts["phase"].get(phase.pk, 0)  # type: ignore[attr-defined]
    return render(request, "taxonomy/phase_list.html", {"phases": rows})


@public_page
def challenge_index(request: HttpRequest) -> HttpResponse:
    """Every challenge, grouped by phase, with its papers and directions counted and its
    provenance. Four queries."""
    challenges = list(
        Challenge.objects.select_related("phase")
        .annotate(direction_count=subquery_count(ResearchDirection.challenges.through, "challenge"))
        .order_by("phase__order", "position", "name")
    )
    counts = taxonomy_paper_counts()
    for challenge in challenges:
        challenge.paper_count = counts["challenge"].get(challenge.pk, 0)  # type: ignore[attr-defined]
    context = {"groups": _by_phase(challenges), "total": len(challenges)}
    return render(request, "taxonomy/challenge_list.html", context)


@public_page
def direction_index(request: HttpRequest) -> HttpResponse:
    """Every research direction, grouped by phase, with its status, provenance, papers and
    the challenges it addresses. Five queries."""
    directions = list(
        ResearchDirection.objects.select_related("phase")
        .prefetch_related(
            Prefetch("challenges", queryset=Challenge.objects.order_by("position", "name"))
        )
        .order_by("phase__order", "position", "name")
    )
    counts = taxonomy_paper_counts()
    for direction in directions:
        direction.paper_count = counts["direction"].get(direction.pk, 0)  # type: ignore[attr-defined]
    context = {"groups": _by_phase(directions), "total": len(directions)}
    return render(request, "taxonomy/researchdirection_list.html", context)


def _by_phase(items: list) -> list[tuple[Phase, list]]:
    """Items (ordered by phase) as (phase, its items) pairs."""
    groups: list[tuple[Phase, list]] = []
    for item in items:
        if not groups or groups[-1][0].pk != item.phase_id:
            groups.append((item.phase, []))
        groups[-1][1].append(item)
    return groups
