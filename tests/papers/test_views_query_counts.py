"""Every public page and feed runs the same number of queries for 5 rows as for 50."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Paper
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
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


class Catalogue:
    """A small taxonomy and a growing set of papers placed all over it."""

    def __init__(self) -> None:
        self.phase = PhaseFactory(slug="testing", order=1, name="Testing")
        self.other_phase = PhaseFactory(slug="deploying", order=2, name="Deploying")
        self.challenges = [
            ChallengeFactory(phase=self.phase, slug=f"oracle-{i}", position=i) for i in range(3)
        ] + [ChallengeFactory(phase=self.other_phase, slug="serving-cost")]
        self.direction = ResearchDirectionFactory(
            phase=self.phase, slug="metamorphic", challenges=self.challenges[:2]
        )
        self.author = AuthorFactory(name="Ada Tester")
        self.categories = [CategoryFactory(code=code) for code in ("cs.SE", "cs.LG", "cs.CL")]
        self.papers: list[Paper] = []

    def grow_to(self, count: int) -> None:
        """Add papers until there are `count`, each with authors, categories, placements in
        the phase, two challenges and the direction, over several years."""
        for i in range(len(self.papers), count):
            paper = PaperFactory(
                authors=[self.author.name, f"Second Author {i}", f"Third Author {i}"],
                year=2017 + i % 9,
                title=f"Testing language models, study {i}",
            )
            paper.categories.add(self.categories[i % 3], self.categories[(i + 1) % 3])
            PlacementFactory(paper=paper, phase=self.phase)
            PlacementFactory(paper=paper, challenge=self.challenges[i % 3])
            PlacementFactory(paper=paper, challenge=self.challenges[3])
            PlacementFactory(paper=paper, direction=self.direction, evidence=f"Evidence {i}.")
            self.papers.append(paper)


def count_queries(client: Client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    assert response.status_code == 200, (url, response.status_code)
    return len(context.captured_queries)


PAGES = {
    "home": lambda c: "/",
    "phase": lambda c: f"/phases/{c.phase.slug}/",
    "phase-filtered": lambda c: f"/phases/{c.phase.slug}/?q=language&challenge=oracle-1&year=2018",
    "challenge": lambda c: f"/challenges/{c.challenges[0].slug}/",
    "direction": lambda c: f"/directions/{c.direction.slug}/",
    "papers": lambda c: "/papers/",
    "papers-sorted": lambda c: "/papers/?page=1&ordering=title",
    "papers-faceted": lambda c: (
        "/papers/?q=testing&phase=testing&challenge=oracle-0&challenge=oracle-1"
        "&category=cs.SE&year_min=2017&ordering=-published"
    ),
    "paper": lambda c: f"/papers/{c.papers[0].pk}/",
    "author": lambda c: f"/authors/{c.author.pk}/",
    "gap-map": lambda c: "/gaps/",
    "about": lambda c: "/about/",
    "feed-all": lambda c: "/feeds/papers/",
    "feed-phase": lambda c: f"/feeds/phases/{c.phase.slug}/",
    "feed-challenge": lambda c: f"/feeds/challenges/{c.challenges[0].slug}/",
    "bibtex": lambda c: "/papers/bibtex/?phase=testing",
    "ris": lambda c: "/papers/ris/?phase=testing",
    "csljson": lambda c: "/papers/csl-json/?phase=testing",
    "paper-ris": lambda c: f"/papers/{c.papers[0].pk}/ris/",
}


@pytest.mark.parametrize("page", PAGES)
def test_query_count_is_the_same_for_5_and_50_rows(client: Client, page: str) -> None:
    catalogue = Catalogue()
    catalogue.grow_to(5)
    url = PAGES[page](catalogue)
    with_5 = count_queries(client, url)

    catalogue.grow_to(50)
    with_50 = count_queries(client, url)

    assert with_5 == with_50, f"{page}: {with_5} queries for 5 rows, {with_50} for 50"


def test_the_pages_really_show_the_fifty_rows(client: Client) -> None:
    """The counts above compare pages that grow: 50 papers are listed, paginated, exported."""
    catalogue = Catalogue()
    catalogue.grow_to(50)

    listing = client.get("/papers/").content.decode()
    exported = b"".join(client.get("/papers/bibtex/?phase=testing").streaming_content).decode()
    author = client.get(f"/authors/{catalogue.author.pk}/").content.decode()

    assert "50 papers" in listing
    assert "Page 1 of 3" in listing
    assert exported.count("@misc{") + exported.count("@article{") == 50
    assert "50 papers in sellm" in author


def test_a_paper_with_50_authors_and_many_related_papers_costs_what_one_with_5_does(
    client: Client,
) -> None:
    catalogue = Catalogue()
    catalogue.grow_to(6)
    few = PaperFactory(authors=5)
    many = PaperFactory(authors=50)
    for paper in (few, many):
        PlacementFactory(paper=paper, challenge=catalogue.challenges[0])
        paper.categories.add(*catalogue.categories)

    assert count_queries(client, f"/papers/{few.pk}/") == count_queries(
        client, f"/papers/{many.pk}/"
    )
