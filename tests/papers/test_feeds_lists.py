"""A feed for any list: the paper list's filters and search on /feeds/papers/, a feed per
research direction, entries with authors, a summary and the paper's own dates."""

from datetime import UTC, datetime

import defusedxml.ElementTree as ET
import pytest
from django.core.cache import cache
from django.test import Client

from apps.papers.models import Paper
from tests.factories import (
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def feed(client: Client, url: str):  # type: ignore[no-untyped-def]
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)


def titles(root) -> list[str]:  # type: ignore[no-untyped-def]
    return [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]


def test_a_filtered_list_and_a_search_each_have_a_feed_of_their_papers(client) -> None:
    phase = PhaseFactory(slug="testing")
    oracles = ChallengeFactory(phase=phase, slug="oracles")
    PlacementFactory(
        paper=PaperFactory(title="Metamorphic oracles for LLMs", year=2024), challenge=oracles
    )
    PlacementFactory(paper=PaperFactory(title="Oracles in 2023", year=2023), challenge=oracles)
    PaperFactory(title="Serving cost of LLMs", year=2024)
    PaperFactory(title="Hidden metamorphic draft", status=Paper.Status.INBOX)

    by_filter = feed(client, "/feeds/papers/?challenge=oracles&year=2024&page=2&ordering=title")
    by_search = feed(client, "/feeds/papers/?q=metamorphic")

    assert titles(by_filter) == ["Metamorphic oracles for LLMs"]
    assert titles(by_search) == ["Metamorphic oracles for LLMs"]
    assert "oracles" in by_filter.findtext(f"{ATOM}title")
    assert len(titles(feed(client, "/feeds/papers/"))) == 3


def test_a_bad_filter_gets_a_clear_400_not_a_feed(client) -> None:
    response = client.get("/feeds/papers/?year=abc&challenge=nope")

    assert response.status_code == 400
    text = response.content.decode()
    assert "Year" in text
    assert "nope" in text


def test_entries_carry_authors_summary_and_the_papers_own_dates(client) -> None:
    direction = ResearchDirectionFactory(slug="fuzzing", name="Fuzzing")
    with_abstract = PaperFactory(
        title="With an abstract",
        abstract="We fuzz agents.",
        authors=["Ada Lovelace", "Grace Hopper"],
        published_at=datetime(2021, 3, 4, tzinfo=UTC),
        revised_at=datetime(2022, 5, 6, tzinfo=UTC),
    )
    noted = PaperFactory(
        title="Without one", abstract="", published_at=datetime(2020, 1, 2, tzinfo=UTC)
    )
    PlacementFactory(paper=with_abstract, direction=direction)
    PlacementFactory(paper=noted, direction=direction, evidence="Fuzzes <tools> with LLM inputs.")
    PlacementFactory(paper=PaperFactory(title="Not in the direction"), phase=direction.phase)

    root = feed(client, "/feeds/directions/fuzzing/")
    entries = {e.findtext(f"{ATOM}title"): e for e in root.findall(f"{ATOM}entry")}

    assert set(entries) == {"With an abstract", "Without one"}
    first = entries["With an abstract"]
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "Ada Lovelace, Grace Hopper"
    assert first.findtext(f"{ATOM}summary") == "We fuzz agents."
    assert first.findtext(f"{ATOM}published").startswith("2021-03-04")
    assert first.findtext(f"{ATOM}updated").startswith("2022-05-06")
    # No abstract: the curator's evidence note, escaped.
    assert (
        entries["Without one"].findtext(f"{ATOM}summary") == "Fuzzes &lt;tools&gt; with LLM inputs."
    )
    assert entries["Without one"].findtext(f"{ATOM}published").startswith("2020-01-02")
    assert client.get("/feeds/directions/no-such-direction/").status_code == 404


def test_list_pages_link_their_feed_in_the_head_and_visibly(client) -> None:
    direction = ResearchDirectionFactory(slug="fuzzing")
    PaperFactory(title="Anything")

    papers = client.get("/papers/?q=anything&year=2024").content.decode()
    direction_page = client.get("/directions/fuzzing/").content.decode()

    head = papers.split("</head>")[0]
    assert (
        'title="sellm: new papers in this list" href="/feeds/papers/?q=anything&amp;year=2024"'
        in head
    )
    assert 'class="feed-link" href="/feeds/papers/?q=anything&amp;year=2024"' in papers
    assert 'href="/feeds/directions/fuzzing/"' in direction_page.split("</head>")[0]
    assert 'class="feed-link" href="/feeds/directions/fuzzing/"' in direction_page
    assert direction.slug
