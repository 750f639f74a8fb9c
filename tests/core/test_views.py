"""Site-wide behaviour of the public pages: the anonymous page cache and how it keeps
curators' pages apart, conditional requests, the 404 page and the about page."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Paper, Placement
from apps.papers.services.curation import paper_include
from tests.factories import ChallengeFactory, PaperFactory, PlacementFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/papers/", "/gaps/", "/about/", "/feeds/papers/"]


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_anonymous_pages_are_cached_and_served_from_the_cache(client: Client, url: str) -> None:
    PaperFactory(title="Cached paper")

    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)

    assert first.status_code == second.status_code == 200
    assert "public" in first["Cache-Control"]
    assert "max-age=300" in first["Cache-Control"]
    assert "Cookie" in first["Vary"]
    assert first["ETag"]
    assert first["Last-Modified"]
    assert second.content == first.content
    assert len(queries) == 0  # no database work for a cached page


def test_a_matching_etag_or_date_answers_304(client: Client) -> None:
    first = client.get("/papers/")

    by_etag = client.get("/papers/", headers={"if-none-match": first["ETag"]})
    by_date = client.get("/papers/", headers={"if-modified-since": first["Last-Modified"]})
    changed = client.get("/papers/", headers={"if-none-match": '"something-else"'})

    assert by_etag.status_code == 304
    assert by_date.status_code == 304
    assert changed.status_code == 200


def test_curators_and_the_public_never_share_a_cached_page(client: Client, curator) -> None:  # type: ignore[no-untyped-def]
    challenge = ChallengeFactory(slug="oracles")
    PlacementFactory(paper=PaperFactory(title="Included paper"), challenge=challenge)
    draft = PaperFactory(title="Draft in the inbox", status=Paper.Status.INBOX)
    PlacementFactory(
        paper=PaperFactory(title="Suggested only"),
        challenge=challenge,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )
    curator_client = Client()
    curator_client.force_login(curator)

    anonymous_before = client.get("/papers/")  # fills the cache
    as_curator = curator_client.get("/papers/")
    anonymous_after = client.get("/papers/")
    curator_detail = curator_client.get(f"/papers/{draft.pk}/")
    anonymous_detail = client.get(f"/papers/{draft.pk}/")

    assert "Draft in the inbox" not in anonymous_before.content.decode()
    assert "Draft in the inbox" in as_curator.content.decode()  # not the cached public copy
    assert "Curator view." in as_curator.content.decode()
    assert "private" in as_curator["Cache-Control"]
    assert "no-store" in as_curator["Cache-Control"]
    assert "ETag" not in as_curator
    assert "Draft in the inbox" not in anonymous_after.content.decode()  # nor stored for others
    assert "Curator view." not in anonymous_after.content.decode()
    assert curator_detail.status_code == 200
    assert "Not public: this paper is" in curator_detail.content.decode()
    assert anonymous_detail.status_code == 404


def test_error_pages_are_not_cached(client: Client) -> None:
    paper = PaperFactory(status=Paper.Status.INBOX)
    missing = client.get(f"/papers/{paper.pk}/")
    bad = client.get("/papers/?year=abc")
    paper_include(papers=[paper])

    assert missing.status_code == 404
    assert bad.status_code == 400
    assert client.get(f"/papers/{paper.pk}/").status_code == 200  # the 404 was not kept


def test_page_cache_seconds_zero_renders_every_request(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PAGE_CACHE_SECONDS = 0
    PaperFactory(title="First")
    client.get("/papers/")
    PaperFactory(title="Second")

    assert "Second" in client.get("/papers/").content.decode()


def test_an_unknown_address_gets_a_helpful_404(client: Client, survey) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/no/such/page/")
    html = response.content.decode()

    assert response.status_code == 404
    assert "There is no page at /no/such/page/" in html
    assert 'href="/phases/testing-evaluation/"' in html  # the phases, to find the way back
    assert 'role="search"' in html


def test_about_page_names_the_survey_and_says_how_to_cite(client: Client) -> None:
    response = client.get("/about/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "arXiv:2506.23762" in html
    assert "Software Engineering for Large Language Models: Research Status, Challenges" in html
    assert "Hongzhou Rao" in html
    assert 'id="cite"' in html
    assert "http://testserver/challenges/benchmark-contamination/" in html
