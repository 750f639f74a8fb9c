"""Frozen listings: freezing a filtered list, its page, its three exports agreeing on the
papers as frozen (even after a paper is edited or deleted), versions and differences."""

import json

import bibtexparser
import pytest
import rispy
from django.core.cache import cache
from django.test import Client

from apps.core.exceptions import ApplicationError
from apps.listings.models import Listing, ListingEntry
from apps.listings.selectors import listing_diff, listing_live_diff
from apps.listings.services import listing_freeze, listing_query_parse
from apps.papers.models import Paper
from apps.papers.services import paper_delete, paper_edit, paper_exclude
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def oracles() -> dict:
    """A phase with a challenge; three included papers in it, one outside, one in the inbox."""
    phase = PhaseFactory(slug="testing", name="Testing and evaluation")
    challenge = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles")
    inside = [
        PaperFactory(
            title=f"Oracle study {i}",
            authors=["Ada Lovelace", f"Author {i}"],
            arxiv_id=f"2401.0000{i}",
            arxiv_version=i,
            year=2020 + i,
        )
        for i in range(1, 4)
    ]
    for paper in inside:
        PlacementFactory(paper=paper, challenge=challenge)
    PlacementFactory(paper=PaperFactory(title="Inbox oracle", status="inbox"), challenge=challenge)
    PaperFactory(title="Unrelated paper")
    return {"phase": phase, "challenge": challenge, "inside": inside}


def bibtex_titles(text: str) -> list[str]:
    library = bibtexparser.parse_string(text)
    return [entry.fields_dict["title"].value for entry in library.entries]


def test_query_parsing_keeps_filters_drops_paging_and_refuses_unknown_parameters() -> None:
    parsed = listing_query_parse("?challenge=b,a&page=3&q=oracle&ordering=-published")

    assert parsed.parameters == {
        "challenge": ["a", "b"],
        "ordering": ["-published"],
        "q": ["oracle"],
    }
    assert (
        parsed.key
        == listing_query_parse("q=oracle&challenge=a&challenge=b&ordering=-published").key
    )
    assert "page" not in parsed.given
    with pytest.raises(ApplicationError, match="Unknown parameter"):
        listing_query_parse("colour=red")


def test_freezing_keeps_the_included_papers_with_their_arxiv_versions(oracles, curator) -> None:
    listing = listing_freeze(title="Test oracles", query="challenge=oracles", actor=curator)

    entries = list(listing.entries.order_by("position"))
    assert listing.slug == "test-oracles"
    assert (listing.version, listing.paper_count, listing.created_by) == (1, 3, curator)
    assert {e.paper_id for e in entries} == {p.pk for p in oracles["inside"]}
    assert {(e.arxiv_id, e.arxiv_version) for e in entries} == {
        (f"2401.0000{i}", i) for i in range(1, 4)
    }
    assert listing.prisma["listing"] == {"papers": 3}
    assert listing.prisma["included"] == Paper.objects.included().count()


@pytest.mark.parametrize(
    ("title", "query", "message"),
    [
        ("", "challenge=oracles", "needs a title"),
        ("x", "challenge=no-such-challenge", "cannot be frozen"),
        ("x", "year=abc", "cannot be frozen"),
        ("x", "colour=red", "Unknown parameter"),
        ("x", "status=inbox", "selects no included paper"),
    ],
)
def test_a_bad_freeze_is_refused_and_writes_nothing(oracles, title, query, message) -> None:
    with pytest.raises(ApplicationError, match=message):
        listing_freeze(title=title, query=query)

    assert not Listing.objects.exists()
    assert not ListingEntry.objects.exists()


def test_the_page_and_its_three_exports_agree_and_stay_frozen_after_an_edit(
    oracles, curator, client: Client
) -> None:
    listing = listing_freeze(title="Test oracles", query="challenge=oracles", actor=curator)
    first = oracles["inside"][0]
    frozen_titles = sorted(p.title for p in oracles["inside"])

    paper_edit(paper=first, data={"title": "Renamed after the freeze"}, actor=curator)
    paper_delete(paper=oracles["inside"][1], actor=curator)

    page = client.get(f"/listings/{listing.slug}/").content.decode()
    bib = client.get(f"/listings/{listing.slug}/export.bib")
    ris = client.get(f"/listings/{listing.slug}/export.ris")
    csl = client.get(f"/listings/{listing.slug}/export.json")
    assert bib["Content-Type"].startswith("application/x-bibtex")
    assert ris["Content-Type"].startswith("application/x-research-info-systems")
    assert csl["Content-Type"].startswith("application/vnd.citationstyles.csl+json")

    assert sorted(bibtex_titles(bib.content.decode())) == frozen_titles
    assert sorted(r["title"] for r in rispy.loads(ris.content.decode())) == frozen_titles
    assert sorted(i["title"] for i in json.loads(csl.content)) == frozen_titles
    for title in frozen_titles:
        assert title in page
    assert "Renamed after the freeze" not in bib.content.decode() + page
    assert "no longer in sellm" in page  # the deleted paper is still listed, as frozen
    # The three exports name each paper by the same citation key.
    keys = [e.citation_key for e in listing.entries.order_by("position")]
    assert [i["id"] for i in json.loads(csl.content)] == keys
    assert [r["id"] for r in rispy.loads(ris.content.decode())] == keys
    assert [e.key for e in bibtexparser.parse_string(bib.content.decode()).entries] == keys


def test_a_second_freeze_is_the_next_version_and_shows_the_difference(
    oracles, curator, client: Client
) -> None:
    first = listing_freeze(title="Test oracles", query="challenge=oracles", actor=curator)
    newcomer = PaperFactory(title="A newer oracle paper")
    PlacementFactory(paper=newcomer, challenge=oracles["challenge"])
    paper_exclude(papers=[oracles["inside"][2]], reason="Off topic", actor=curator)

    live = listing_live_diff(first)
    assert [p.pk for p in live.added] == [newcomer.pk]
    assert [e.paper_id for e in live.removed] == [oracles["inside"][2].pk]

    second = listing_freeze(title="Test oracles", query="challenge=oracles", actor=curator)
    assert (second.version, second.previous, second.slug) == (2, first, "test-oracles-v2")
    diff = listing_diff(first, second)
    assert [e.record["title"] for e in diff.added] == ["A newer oracle paper"]
    assert [e.record["title"] for e in diff.removed] == ["Oracle study 3"]

    page = client.get(f"/listings/{second.slug}/").content.decode()
    assert f'href="/listings/{first.slug}/"' in page
    assert "Since version 1" in page
    assert "1 added" in page
    assert "1 removed" in page
    old_page = client.get(f"/listings/{first.slug}/").content.decode()
    assert f'href="/listings/{second.slug}/"' in old_page
    assert "Oracle study 3" in old_page  # version 1 never changes


def test_cite_this_listing_is_a_misc_entry_with_url_version_and_date(oracles, client) -> None:
    listing = listing_freeze(title="Test oracles, 2021\u20132025", query="challenge=oracles")

    cite = client.get(f"/listings/{listing.slug}/cite.bib").content.decode()
    entry = bibtexparser.parse_string(cite).entries[0]

    assert entry.entry_type == "misc"
    fields = {f.key: f.value for f in entry.fields}
    assert fields["url"] == f"http://testserver/listings/{listing.slug}/"
    assert fields["version"] == "1"
    assert fields["date"] == listing.frozen_at.date().isoformat()
    assert "2021\u20132025" in fields["title"] or "2021--2025" in fields["title"]


def test_the_listings_page_lists_every_listing(oracles, client) -> None:
    listing_freeze(title="Test oracles", query="challenge=oracles")
    listing_freeze(title="Everything", query="")

    page = client.get("/listings/").content.decode()

    assert "Test oracles" in page
    assert "Everything" in page
    assert client.get("/listings/no-such-listing/").status_code == 404


def test_only_curators_freeze_from_the_browser(
    oracles, curator_client, client, django_user_model
) -> None:
    assert client.get("/listings/new/?query=challenge=oracles").status_code == 302
    reader = django_user_model.objects.create_user("reader", password="pw")
    other = Client()
    other.force_login(reader)
    assert other.post("/listings/new/", {"title": "x", "query": ""}).status_code == 403

    form = curator_client.get("/listings/new/", {"query": "challenge=oracles"})
    assert form.status_code == 200
    assert "selects <strong>3 papers</strong>" in form.content.decode()
    bad = curator_client.post("/listings/new/", {"title": "x", "query": "year=abc"})
    assert bad.status_code == 400
    done = curator_client.post("/listings/new/", {"title": "Oracles", "query": "challenge=oracles"})
    assert done.status_code == 302
    assert done["Location"] == "/listings/oracles/"
    assert Listing.objects.get().paper_count == 3


def test_curators_see_the_freeze_form_on_filtered_lists(oracles, curator_client, client) -> None:
    page = curator_client.get("/papers/", {"challenge": "oracles"}).content.decode()
    assert 'action="/listings/new/"' in page
    assert 'name="query" value="challenge=oracles"' in page
    for url, query in (
        ("/challenges/oracles/", "challenge=oracles"),
        ("/phases/testing/", "phase=testing"),
    ):
        page = curator_client.get(url).content.decode()
        assert f'name="query" value="{query}"' in page, url
    assert (
        'action="/listings/new/"' not in client.get("/papers/?challenge=oracles").content.decode()
    )
