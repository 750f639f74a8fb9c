"""Atom feeds of newly included papers: well-formed, public papers only, newest first."""

from datetime import timedelta
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as ET
import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from apps.papers.models import Paper, Placement
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def parse_feed(client: Client, url: str) -> Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # raises on anything that is not well-formed XML
    assert root.tag == f"{ATOM}feed"
    # The elements RFC 4287 requires of a feed and of each entry.
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None, required
    for entry in root.findall(f"{ATOM}entry"):
        for required in ("id", "title", "updated", "link"):
            assert entry.find(f"{ATOM}{required}") is not None, required
    return root


def entry_titles(root: Element) -> list[str]:
    return [e.findtext(f"{ATOM}title") or "" for e in root.findall(f"{ATOM}entry")]


def test_the_feed_of_all_new_papers_lists_included_papers_newest_inclusion_first(
    client: Client,
) -> None:
    now = timezone.now()
    old = PaperFactory(title="Included last year", authors=["Ada Lovelace", "Alan Turing"])
    new = PaperFactory(title=r"$\tau$Test: newly included", abstract="An <b>abstract</b>.")
    Paper.objects.filter(pk=old.pk).update(included_at=now - timedelta(days=365))
    Paper.objects.filter(pk=new.pk).update(included_at=now)
    PaperFactory(title="Waiting in the inbox", status=Paper.Status.INBOX)
    PaperFactory(title="Excluded", status=Paper.Status.EXCLUDED)

    root = parse_feed(client, "/feeds/papers/")
    entries = root.findall(f"{ATOM}entry")

    assert entry_titles(root) == ["τTest: newly included", "Included last year"]
    assert entries[0].find(f"{ATOM}link").get("href") == f"http://testserver/papers/{new.pk}/"
    assert entries[0].findtext(f"{ATOM}summary") == "An &lt;b&gt;abstract&lt;/b&gt;."
    assert entries[1].findtext(f"{ATOM}author/{ATOM}name") == "Ada Lovelace, Alan Turing"
    assert entries[0].findtext(f"{ATOM}published").startswith(str(now.year))


def test_phase_and_challenge_feeds_hold_their_papers_only(client: Client) -> None:
    testing = PhaseFactory(slug="testing", name="Testing")
    oracle = ChallengeFactory(phase=testing, slug="oracles", name="Test oracles")
    other = ChallengeFactory(slug="serving-cost")
    PlacementFactory(paper=PaperFactory(title="On oracles"), challenge=oracle)
    PlacementFactory(paper=PaperFactory(title="On testing"), phase=testing)
    PlacementFactory(paper=PaperFactory(title="On cost"), challenge=other)
    PlacementFactory(
        paper=PaperFactory(title="Suggested for oracles"),
        challenge=oracle,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )

    phase_feed = parse_feed(client, "/feeds/phases/testing/")
    challenge_feed = parse_feed(client, "/feeds/challenges/oracles/")

    assert sorted(entry_titles(phase_feed)) == ["On oracles", "On testing"]
    assert phase_feed.findtext(f"{ATOM}title") == "sellm: new papers in Testing"
    assert entry_titles(challenge_feed) == ["On oracles"]
    assert challenge_feed.findtext(f"{ATOM}title") == "sellm: new papers on Test oracles"
    categories = [c.get("term") for c in challenge_feed.iter(f"{ATOM}category")]
    assert categories == ["Test oracles"]


def test_feeds_escape_stored_text_and_stay_well_formed(client: Client) -> None:
    PaperFactory(
        title="<script>alert(1)</script> & friends",
        abstract="x < y & </summary><entry>",
        authors=["O'Brien <ob@example.org>"],
    )

    root = parse_feed(client, "/feeds/papers/")

    assert entry_titles(root) == ["<script>alert(1)</script> & friends"]  # text, not markup
    assert len(root.findall(f"{ATOM}entry")) == 1


def test_a_signed_in_curator_still_gets_the_public_feed(client: Client, curator) -> None:  # type: ignore[no-untyped-def]
    PaperFactory(title="Public")
    PaperFactory(title="Inbox", status=Paper.Status.INBOX)
    client.force_login(curator)

    assert entry_titles(parse_feed(client, "/feeds/papers/")) == ["Public"]


def test_feeds_are_linked_from_the_pages(client: Client) -> None:
    phase = PhaseFactory(slug="testing")
    ChallengeFactory(phase=phase, slug="oracles")

    home = client.get("/").content.decode()
    phase_page = client.get("/phases/testing/").content.decode()
    challenge_page = client.get("/challenges/oracles/").content.decode()

    assert '<link rel="alternate" type="application/atom+xml"' in home
    assert 'href="/feeds/papers/"' in home
    assert 'href="/feeds/phases/testing/"' in phase_page
    assert 'href="/feeds/challenges/oracles/"' in challenge_page


def test_a_feed_says_when_its_newest_entry_was_included(client: Client) -> None:
    paper = PaperFactory()
    Paper.objects.filter(pk=paper.pk).update(
        included_at=timezone.now().replace(year=2025, month=3, day=4, hour=5, minute=6, second=7)
    )

    response = client.get("/feeds/papers/")

    assert response["Last-Modified"] == "Tue, 04 Mar 2025 05:06:07 GMT"


def test_a_feed_holds_at_most_fifty_entries(client: Client) -> None:
    PaperFactory.create_batch(55)

    assert len(parse_feed(client, "/feeds/papers/").findall(f"{ATOM}entry")) == 50
