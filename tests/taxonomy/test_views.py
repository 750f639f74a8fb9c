"""The taxonomy pages: a phase, a challenge, a direction — on the survey's seed data and on
hand-made data — and their 404s."""

import re
from html import unescape

import pytest
from django.core.cache import cache
from django.test import Client

from apps.papers.models import Author, Paper, Placement
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from tests.factories import (
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
    StatusTopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def listed_titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    titles = re.findall(r'<h3 class="paper-title"><a href="/papers/\d+/">(.*?)</a>', html)
    return [unescape(t) for t in titles]


def test_every_page_answers_200_on_the_survey_seed(client: Client, survey) -> None:  # type: ignore[no-untyped-def]
    paper = Paper.objects.included().first()
    author = Author.objects.filter(authorships__paper=paper).first()
    urls = ["/", "/papers/", "/papers/?q=contamination", "/gaps/", "/about/", "/feeds/papers/"]
    urls += [f"/papers/{paper.pk}/", f"/authors/{author.pk}/", "/papers/bibtex/"]
    for slug in Phase.objects.values_list("slug", flat=True):
        urls += [f"/phases/{slug}/", f"/papers/?phase={slug}", f"/feeds/phases/{slug}/"]
    for slug in Challenge.objects.values_list("slug", flat=True):
        urls += [f"/challenges/{slug}/", f"/feeds/challenges/{slug}/"]
    urls += [
        f"/directions/{slug}/" for slug in ResearchDirection.objects.values_list("slug", flat=True)
    ]

    statuses = {url: client.get(url).status_code for url in urls}

    assert len(urls) > 90  # 6 phases, 23 challenges, 21 directions, and the rest
    assert {url: code for url, code in statuses.items() if code != 200} == {}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/phases/no-such-phase/", "There is no lifecycle phase called “no-such-phase”."),
        ("/challenges/no-such-challenge/", "There is no challenge called “no-such-challenge”."),
        ("/directions/nowhere/", "There is no research direction called “nowhere”."),
        ("/feeds/phases/no-such-phase/", "so no feed for it"),
        ("/feeds/challenges/no-such-challenge/", "so no feed for it"),
        ("/papers/99999999/", "There is no paper with id 99999999"),
        ("/authors/99999999/", "There is no author with id 99999999"),
    ],
)
def test_unknown_slugs_and_ids_are_helpful_404s(
    client: Client, survey, url: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    response = client.get(url)
    html = unescape(response.content.decode())

    assert response.status_code == 404
    assert message in html
    assert 'href="/phases/requirements-engineering/"' in html
    assert 'action="/papers/"' in html


def test_phase_page_shows_status_challenges_with_papers_directions_and_its_papers(
    client: Client,
) -> None:
    phase = PhaseFactory(slug="testing", name="Testing", summary="Judging what a model can do.")
    StatusTopicFactory(phase=phase, name="Benchmarks abound", note="well studied")
    oracle = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles", position=1)
    empty = ChallengeFactory(phase=phase, slug="judges", name="Unreliable judges", position=2)
    ResearchDirectionFactory(
        phase=phase,
        slug="metamorphic",
        name="Metamorphic testing",
        status="open",
        challenges=[oracle, empty],
    )
    for i in range(7):
        PlacementFactory(paper=PaperFactory(title=f"Oracle paper {i}"), challenge=oracle)
    PlacementFactory(paper=PaperFactory(title="Phase-only paper"), phase=phase)
    PlacementFactory(
        paper=PaperFactory(title="Pending suggestion"),
        challenge=empty,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )
    elsewhere = ChallengeFactory(slug="elsewhere")
    PlacementFactory(paper=PaperFactory(title="Other phase paper"), challenge=elsewhere)

    response = client.get("/phases/testing/")
    html = response.content.decode()
    challenges = {c.slug: c for c in response.context["challenges"]}

    assert response.status_code == 200
    assert "Benchmarks abound" in html
    assert "well studied" in html
    assert [c.slug for c in response.context["challenges"]] == ["oracles", "judges"]
    assert challenges["oracles"].paper_count == 7
    assert len(challenges["oracles"].sample) == 5  # the newest five, then a link to all
    assert 'href="/challenges/oracles/">All 7 papers →</a>' in html
    assert challenges["judges"].paper_count == 0
    assert "Metamorphic testing" in html
    assert "Open" in html
    assert 'Addresses: <a href="/challenges/oracles/">Test oracles</a>' in html
    assert response.context["page"].paginator.count == 8
    assert "Pending suggestion" not in html
    assert "Other phase paper" not in html
    assert 'href="/feeds/phases/testing/"' in html
    assert 'type="application/atom+xml" title="sellm: new papers in Testing"' in html


def test_phase_page_filters_its_own_papers_and_ignores_a_foreign_phase_parameter(
    client: Client,
) -> None:
    phase = PhaseFactory(slug="testing")
    other = PhaseFactory(slug="deploying")
    oracle = ChallengeFactory(phase=phase, slug="oracles")
    PlacementFactory(paper=PaperFactory(title="Oracle 2023", year=2023), challenge=oracle)
    PlacementFactory(paper=PaperFactory(title="Phase 2024", year=2024), phase=phase)
    PlacementFactory(paper=PaperFactory(title="Other 2024", year=2024), phase=other)

    by_challenge = client.get("/phases/testing/?challenge=oracles")
    by_year = client.get("/phases/testing/?year=2024&phase=deploying")
    bad = client.get("/phases/testing/?year=soon")

    assert listed_titles(by_challenge) == ["Oracle 2023"]
    assert listed_titles(by_year) == ["Phase 2024"]
    assert bad.status_code == 400
    assert "These filters could not be applied" in bad.content.decode()


def test_challenge_page_lists_papers_with_their_evidence_and_provenance(client: Client) -> None:
    challenge = ChallengeFactory(
        slug="contamination",
        name="Contamination",
        provenance="survey",
        description="Benchmarks leak into training data.",
    )
    ResearchDirectionFactory(
        phase=challenge.phase, slug="decontaminate", name="Decontamination", challenges=[challenge]
    )
    PlacementFactory(
        paper=PaperFactory(title="Detecting leaks"),
        challenge=challenge,
        origin=Placement.Origin.SURVEY,
        evidence="Cited in section 6.",
    )
    PlacementFactory(
        paper=PaperFactory(title="Draft", status=Paper.Status.INBOX), challenge=challenge
    )
    PlacementFactory(
        paper=PaperFactory(title="Rejected guess"),
        challenge=challenge,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.REJECTED,
    )

    response = client.get("/challenges/contamination/")
    html = response.content.decode()

    assert response.status_code == 200
    assert listed_titles(response) == ["Detecting leaks"]
    assert "Cited in section 6." in html
    assert '<span class="evidence-origin">Survey</span>' in html
    assert "Stated in the survey" in html
    assert "Benchmarks leak into training data." in html
    assert 'href="/directions/decontaminate/">Decontamination</a>' in html
    assert 'href="/feeds/challenges/contamination/"' in html
    assert 'href="/papers/bibtex/?challenge=contamination"' in html


def test_direction_page_shows_status_challenges_and_papers(client: Client) -> None:
    oracle = ChallengeFactory(slug="oracles", name="Test oracles")
    direction = ResearchDirectionFactory(
        phase=oracle.phase,
        slug="metamorphic",
        name="Metamorphic testing",
        status="partly_addressed",
        provenance="curated",
        challenges=[oracle],
    )
    PlacementFactory(
        paper=PaperFactory(title="Metamorphic relations for LLMs"),
        direction=direction,
        evidence="Proposes relations.",
    )

    response = client.get("/directions/metamorphic/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Partly addressed" in html
    assert "Added by curators" in html
    assert 'href="/challenges/oracles/">Test oracles</a>' in html
    assert listed_titles(response) == ["Metamorphic relations for LLMs"]
    assert "Proposes relations." in html


def test_challenge_papers_are_paginated(client: Client) -> None:
    challenge = ChallengeFactory(slug="oracles")
    for i in range(25):
        PlacementFactory(paper=PaperFactory(title=f"P{i}"), challenge=challenge)

    first = client.get("/challenges/oracles/")
    second = client.get("/challenges/oracles/?page=2")

    assert len(listed_titles(first)) == 20
    assert len(listed_titles(second)) == 5
    assert set(listed_titles(first)).isdisjoint(listed_titles(second))
    assert 'href="?page=2#papers"' in first.content.decode()
