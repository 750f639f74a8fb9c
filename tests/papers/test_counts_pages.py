"""No page changes with the summary of counts: every page and API answer that reads it is
byte for byte what the grouped queries over the papers (the way before issue 14) give, on a
generated corpus with every kind of paper (included or not, with and without a year, placed
once or twice in a phase, with suggestions pending, with categories)."""

import random
import re

import pytest
from django.core.cache import cache
from django.db.models import Count
from django.test import Client

from apps.papers.gaps import gap_map
from apps.papers.models import Category, Paper, Placement
from apps.papers.views import _two_digits
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from tests.factories import PaperFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def grouped_taxonomy_counts() -> dict[str, dict[int, int]]:
    """The taxonomy counts as they were computed before the summary: grouped placements."""
    placements = Placement.objects.accepted().filter(paper__status=Paper.Status.INCLUDED)
    counts: dict[str, dict[int, int]] = {}
    for level in ("phase", "challenge", "direction"):
        rows = (
            placements.filter(**{f"{level}__isnull": False})
            .order_by()
            .values_list(f"{level}_id")
            .annotate(n=Count("paper_id", distinct=True))
        )
        counts[level] = dict(rows)
    return counts


@pytest.fixture
def corpus(survey):  # type: ignore[no-untyped-def]
    rng = random.Random(1414)
    phases = list(Phase.objects.all())
    challenges = list(Challenge.objects.all())
    directions = list(ResearchDirection.objects.all())
    codes = ["cs.SE", "cs.LG", "cs.AI", "cs.CL", "cs.CR"]
    Category.objects.bulk_create([Category(code=c) for c in codes], ignore_conflicts=True)
    for n in range(90):
        status = rng.choices(["included", "inbox", "excluded"], weights=[8, 1, 1])[0]
        paper = PaperFactory(
            year=rng.choice([None, 2019, 2021, 2022, 2023, 2024, 2025]),
            status=status,
            title=f"Generated paper {n} on metamorphic testing",
        )
        paper.categories.set(rng.sample(codes, rng.randrange(3)))
        phase = rng.choice(phases)
        if rng.random() < 0.8:
            PlacementFactory(paper=paper, phase=phase)
        mine = [c for c in challenges if c.phase_id == phase.pk]
        for challenge in rng.sample(mine, min(len(mine), rng.randrange(3))):
            state = rng.choice(["accepted", "accepted", "pending"])
            PlacementFactory(paper=paper, challenge=challenge, review_state=state)
        ours = [d for d in directions if d.phase_id == phase.pk]
        if ours and rng.random() < 0.3:
            PlacementFactory(paper=paper, direction=rng.choice(ours))
    return {
        "phase": phases[2].slug,
        "challenge": challenges[3].slug,
    }


def test_html_pages_and_api_answers_equal_the_grouped_counts(corpus, settings, monkeypatch):
    settings.PAGE_CACHE_SECONDS = 0
    client = Client()
    phase, challenge = corpus["phase"], corpus["challenge"]
    urls = [
        "/",
        "/papers/",
        "/papers/?year=2023",
        "/papers/?year=2023&ordering=title&page=2",
        f"/papers/?phase={phase}",
        f"/papers/?phase={phase}&year=2024&category=cs.SE",
        "/papers/?q=metamorphic",
        f"/phases/{phase}/",
        "/phases/",
        "/challenges/",
        f"/challenges/{challenge}/",
        "/directions/",
        "/gaps/",
        "/api/v1/stats/?group_by=phase",
        "/api/v1/stats/?group_by=year",
        "/api/v1/stats/?group_by=challenge,year",
        "/api/v1/stats/?group_by=year,direction",
        "/api/v1/stats/?group_by=phase,challenge",
        "/api/v1/gaps/",
        "/api/v1/phases/",
        "/api/v1/challenges/",
        "/api/v1/directions/",
    ]

    def render() -> dict[str, bytes]:
        answers = {}
        for url in urls:
            cache.clear()
            response = client.get(url)
            assert response.status_code == 200, url
            answers[url] = response.content
        return answers

    from_summary = render()

    # The way before: every count grouped from the papers (the curators' path, which never
    # reads the summary), for the same public papers.
    monkeypatch.setattr("apps.papers.views.is_curator", lambda user: True)
    monkeypatch.setattr("apps.taxonomy.views.is_curator", lambda user: True)
    monkeypatch.setattr("apps.papers.api.views.active_filters", lambda query: {"grouped"})
    monkeypatch.setattr("apps.papers.api.views.gap_figures", lambda papers, public: gap_map(papers))
    monkeypatch.setattr("apps.taxonomy.views.taxonomy_paper_counts", grouped_taxonomy_counts)
    monkeypatch.setattr(
        "apps.taxonomy.api.serializers.taxonomy_paper_counts", grouped_taxonomy_counts
    )
    grouped = render()

    for url in urls:
        assert from_summary[url] == grouped[url], url
    assert b"Generated paper" in from_summary["/papers/"]  # the corpus is what is rendered


def test_large_filtered_facets_are_estimated_and_labelled_but_exact_for_curators(
    corpus, settings, monkeypatch, curator_client
):
    settings.PAGE_CACHE_SECONDS = 0
    url = f"/papers/?phase={corpus['phase']}"
    exact = Client().get(url).content.decode()
    monkeypatch.setattr("apps.papers.views.FACET_EXACT", 3)
    monkeypatch.setattr("apps.papers.views.FACET_SAMPLE_SHARE", 1.0)  # one block of every id:
    monkeypatch.setattr("apps.papers.views.FACET_SAMPLE_BLOCKS", 1)  # the sample is everything

    estimated = Client().get(url).content.decode()
    curators = curator_client.get(url).content.decode()

    def counts(page: str) -> list[tuple[str, str, int]]:
        return [
            (about, mark, int(n))
            for about, mark, n in re.findall(
                r'class="facet-count" aria-label="(about )?\d+ papers?">(≈?)(\d+)<', page
            )
        ]

    # Sampling every id: the estimates are the exact counts to two digits, labelled as such.
    assert {(a, m) for a, m, _n in counts(exact)} == {("", "")}
    assert {(a, m) for a, m, _n in counts(estimated)} == {("about ", "≈")}
    assert [n for *_, n in counts(estimated)] == [_two_digits(n) for *_, n in counts(exact)]
    assert any(n >= 100 for *_, n in counts(exact))  # some count is rounded
    # Curators (who also see papers the public does not) get every count exact.
    assert {(a, m) for a, m, _n in counts(curators)} == {("", "")}
