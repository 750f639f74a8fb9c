"""Every list endpoint runs as many queries for 50 rows as for 5 (N+1 is a failure)."""

import datetime
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Citation, Paper, Placement
from tests.api.helpers import body
from tests.factories import (
    CategoryFactory,
    ChallengeFactory,
    IngestRunFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
    StatusTopicFactory,
)

pytestmark = pytest.mark.django_db


def rich_papers(count: int) -> None:
    """Papers with several authors, categories, placements (accepted and suggested) and
    citation links both ways (to a hub paper, and to a hidden one)."""
    phase = PhaseFactory()
    challenge = ChallengeFactory(phase=phase)
    direction = ResearchDirectionFactory(phase=phase, challenges=[challenge])
    hub = Paper.objects.included().order_by("pk").first()
    hidden = Paper.objects.filter(status=Paper.Status.INBOX).first()
    for i in range(count):
        paper = PaperFactory(
            authors=3,
            title="Testing language models",
            kind=Paper.Kind.BENCHMARK,
            code_url="https://example.org/code",
            cited_by_count=10 + i,
            cited_by_as_of=datetime.date(2026, 11, 30),
        )
        if hub is not None:
            Citation.objects.create(citing=paper, cited=hub)
            Citation.objects.create(citing=hub, cited=paper)
        if hidden is not None:
            Citation.objects.create(citing=paper, cited=hidden)
        paper.categories.add(CategoryFactory(code="cs.SE"), CategoryFactory(code="cs.LG"))
        PlacementFactory(paper=paper, challenge=challenge)
        PlacementFactory(paper=paper, direction=direction)
        PlacementFactory(
            paper=paper,
            phase=phase,
            origin=Placement.Origin.SUGGESTED,
            review_state=Placement.ReviewState.PENDING,
        )
    PaperFactory(status=Paper.Status.INBOX, authors=2)


def phases(count: int) -> None:
    for _ in range(count):
        phase = PhaseFactory()
        StatusTopicFactory(phase=phase)
        challenges = ChallengeFactory.create_batch(2, phase=phase)
        ResearchDirectionFactory(phase=phase, challenges=challenges)
        PlacementFactory(challenge=challenges[0])


def challenges(count: int) -> None:
    phase = PhaseFactory()
    for _ in range(count):
        challenge = ChallengeFactory(phase=phase)
        ResearchDirectionFactory(phase=phase, challenges=[challenge])
        PlacementFactory(challenge=challenge)


def directions(count: int) -> None:
    phase = PhaseFactory()
    for _ in range(count):
        direction = ResearchDirectionFactory(
            phase=phase, challenges=ChallengeFactory.create_batch(2, phase=phase)
        )
        PlacementFactory(direction=direction)


def runs(count: int) -> None:
    from apps.core.services import curator_create

    user = curator_create(username=f"runner{count}", password=None)
    IngestRunFactory.create_batch(count, requested_by=user, total=10, seen=5)


CASES: dict[str, tuple[Callable[[int], None], str, dict, str]] = {
    # name: (builder, url, params, client)
    "papers": (rich_papers, "/api/v1/papers/", {}, "anon"),
    "papers-curator": (rich_papers, "/api/v1/papers/", {}, "curator"),
    "papers-search": (rich_papers, "/api/v1/papers/", {"q": "testing"}, "anon"),
    "papers-cursor": (rich_papers, "/api/v1/papers/", {"cursor": "*"}, "anon"),
    "papers-fields": (rich_papers, "/api/v1/papers/", {"fields": "id,authors"}, "anon"),
    "papers-bibtex": (rich_papers, "/api/v1/papers/", {"format": "bibtex"}, "anon"),
    "papers-csljson": (rich_papers, "/api/v1/papers/", {"format": "csljson"}, "curator"),
    "papers-ris": (rich_papers, "/api/v1/papers/", {"format": "ris"}, "anon"),
    "papers-records": (
        rich_papers,
        "/api/v1/papers/",
        {"kind": "benchmark", "has_code": "true", "cited_by_min": 1, "ordering": "-cited_by_count"},
        "anon",
    ),
    "placements": (rich_papers, "/api/v1/placements/", {}, "anon"),
    "placements-curator": (rich_papers, "/api/v1/placements/", {}, "curator"),
    "authors": (rich_papers, "/api/v1/authors/", {}, "anon"),
    "authors-curator": (rich_papers, "/api/v1/authors/", {}, "curator"),
    "stats": (rich_papers, "/api/v1/stats/", {"group_by": "challenge,year"}, "anon"),
    "phases": (phases, "/api/v1/phases/", {}, "anon"),
    "challenges": (challenges, "/api/v1/challenges/", {}, "anon"),
    "directions": (directions, "/api/v1/directions/", {}, "anon"),
    "ingest-runs": (runs, "/api/v1/ingest-runs/", {}, "curator"),
}


def queries(client, url: str, params: dict) -> tuple[int, int]:
    cache.clear()  # cached taxonomy counts and throttle counts: both runs start cold
    with CaptureQueriesContext(connection) as context:
        response = client.get(
            url, {"page_size": 200, **params} if "format" not in params else params
        )
        assert response.status_code == 200, body(response)[:300]
        text = body(response)
    return len(context.captured_queries), len(text)


@pytest.mark.parametrize("case", list(CASES))
def test_query_count_does_not_grow_with_rows(case, anon, curator_api):
    build, url, params, who = CASES[case]
    client = {"anon": anon, "curator": curator_api}[who]

    build(5)
    few, few_size = queries(client, url, params)
    build(45)
    many, many_size = queries(client, url, params)

    assert many_size > few_size  # the 45 new rows are in the answer
    assert many == few, f"{case}: {few} queries for 5 rows, {many} for 50"


def test_detail_pages_with_nested_lists_do_not_grow(anon):
    rich_papers(5)
    paper = Paper.objects.included().first()
    author = paper.authorships.first().author

    def count(url: str) -> int:
        with CaptureQueriesContext(connection) as context:
            assert anon.get(url).status_code == 200
        return len(context.captured_queries)

    few = [count(f"/api/v1/authors/{author.pk}/"), count(f"/api/v1/papers/{paper.pk}/")]
    for _ in range(45):
        other = PaperFactory()
        other.authorships.create(author=author, position=5)
        PlacementFactory(paper=paper, phase=PhaseFactory())
        Citation.objects.create(citing=paper, cited=other)
        Citation.objects.create(citing=other, cited=paper)
    many = [count(f"/api/v1/authors/{author.pk}/"), count(f"/api/v1/papers/{paper.pk}/")]

    assert many == few
