"""The index pages (/phases/, /challenges/, /directions/, /authors/) and the richer author
page: what they show, what they hide from the public, and constant query counts."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Paper
from tests.factories import (
    AuthorFactory,
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


class Taxonomy:
    """Two phases with `size` challenges and directions, each with a paper; `batch` keeps
    the slugs and orders of a second call apart from the first."""

    def __init__(self, size: int, batch: int = 0) -> None:
        self.phases = [
            PhaseFactory(slug=f"phase-{batch}-{i}", order=batch * 10 + i + 1) for i in range(2)
        ]
        self.challenges = [
            ChallengeFactory(
                phase=self.phases[i % 2],
                slug=f"challenge-{batch}-{i}",
                name=f"Challenge {i}",
                provenance="curated" if i % 3 == 0 else "survey",
                position=i,
            )
            for i in range(size)
        ]
        self.directions = [
            ResearchDirectionFactory(
                phase=self.phases[i % 2],
                slug=f"direction-{batch}-{i}",
                name=f"Direction {i}",
                challenges=self.challenges[i : i + 2],
            )
            for i in range(size)
        ]
        for i, challenge in enumerate(self.challenges):
            paper = PaperFactory(authors=3)
            PlacementFactory(paper=paper, challenge=challenge)
            PlacementFactory(paper=paper, direction=self.directions[i])


def count_queries(client: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured)


@pytest.mark.parametrize("url", ["/phases/", "/challenges/", "/directions/", "/authors/"])
def test_index_pages_cost_the_same_for_3_or_12_rows(client: Client, url: str) -> None:
    Taxonomy(3)
    few = count_queries(client, url)
    Taxonomy(12, batch=1)
    assert count_queries(client, url) == few


def test_the_challenge_index_counts_public_papers_and_names_provenance(client: Client) -> None:
    phase = PhaseFactory(slug="testing", order=1, name="Testing and Evaluation")
    oracle = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles", provenance="survey")
    drift = ChallengeFactory(phase=phase, slug="drift", name="Drift", provenance="curated")
    ResearchDirectionFactory(phase=phase, slug="metamorphic", challenges=[oracle])
    for status in ("included", "included", "inbox"):
        PlacementFactory(paper=PaperFactory(status=status), challenge=oracle)
    PlacementFactory(paper=PaperFactory(), challenge=drift, review_state="pending")

    page = text_of(client.get("/challenges/").content.decode())

    assert "Testing and Evaluation" in page
    assert "Test oracles" in page
    assert re.search(r"Test oracles .*? Stated in the survey 2 1", page)
    assert re.search(r"Drift .*? Added by curators 0 0", page)


def test_the_phase_and_direction_indexes_show_counts_and_provenance(client: Client) -> None:
    phase = PhaseFactory(slug="testing", order=1, name="Testing and Evaluation")
    ChallengeFactory(phase=phase, provenance="survey")
    ChallengeFactory(phase=phase, provenance="curated")
    oracle = ChallengeFactory(phase=phase, name="Test oracles", provenance="survey")
    direction = ResearchDirectionFactory(
        phase=phase, name="Metamorphic relations", provenance="curated", challenges=[oracle]
    )
    PlacementFactory(paper=PaperFactory(), direction=direction)

    phases = text_of(client.get("/phases/").content.decode())
    directions = text_of(client.get("/directions/").content.decode())

    assert re.search(
        r"Testing and Evaluation .*? 1 3 2 from the survey 1 0 from the survey", phases
    )
    assert re.search(r"Metamorphic relations .*? Added by curators Test oracles 1", directions)


def test_the_author_index_searches_pages_and_hides_authors_of_hidden_papers(
    client: Client,
) -> None:
    PaperFactory(authors=["Zoë Ångström", "Bob Builder"])
    PaperFactory(authors=["Secret Person"], status=Paper.Status.INBOX)
    for i in range(55):
        PaperFactory(authors=[f"Filler Author {i:02d}"])

    everyone = client.get("/authors/").content.decode()
    found = text_of(client.get("/authors/?q=angstrom").content.decode())
    second = client.get("/authors/?page=2").content.decode()

    assert "Secret Person" not in everyone
    assert "Page 1 of 2" in everyone
    assert "Zoë Ångström" in found
    assert "Bob Builder" not in found
    assert "Filler Author" in second
    assert client.get("/authors/?page=9").status_code == 404


def test_an_author_page_shows_coauthors_years_phases_and_challenges(client: Client) -> None:
    phase = PhaseFactory(slug="testing", order=1, name="Testing and Evaluation")
    oracle = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles")
    ada = AuthorFactory(name="Ada Tester")
    for year in (2023, 2024, 2024):
        paper = PaperFactory(authors=["Ada Tester", "Grace Partner"], year=year)
        PlacementFactory(paper=paper, challenge=oracle)
    PaperFactory(authors=["Ada Tester", "Hidden Partner"], status=Paper.Status.EXCLUDED)

    page = text_of(client.get(f"/authors/{ada.pk}/").content.decode())

    assert "3 papers in sellm, 2023 to 2024" in page
    assert "Grace Partner (3 shared)" in page
    assert "Hidden Partner" not in page
    assert "Testing and Evaluation (3)" in page
    assert "Test oracles (Testing and Evaluation; 3)" in page
    assert "2024: 2 papers" in page


def test_an_author_page_costs_the_same_for_2_or_12_papers(client: Client) -> None:
    phase = PhaseFactory(slug="testing", order=1)
    challenges = [ChallengeFactory(phase=phase) for _ in range(4)]
    ada = AuthorFactory(name="Ada Tester")

    def grow(n: int) -> None:
        for i in range(n):
            paper = PaperFactory(authors=["Ada Tester", f"Partner {n}-{i}"], year=2015 + i)
            PlacementFactory(paper=paper, challenge=challenges[i % 4])

    grow(2)
    few = count_queries(client, f"/authors/{ada.pk}/")
    grow(10)
    assert count_queries(client, f"/authors/{ada.pk}/") == few
