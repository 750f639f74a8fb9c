"""Listings and the PRISMA flow through the REST API: anonymous reads and exports, freezing
with a curator's token, clear errors, and query counts that do not grow with the rows."""

import json

import bibtexparser
import pytest
import rispy
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.listings.models import Listing
from apps.listings.services import listing_freeze
from apps.papers.services import paper_edit
from tests.factories import ChallengeFactory, PaperFactory, PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def oracles() -> list:
    challenge = ChallengeFactory(slug="oracles")
    papers = [PaperFactory(title=f"Oracle paper {i}", authors=2) for i in range(3)]
    for paper in papers:
        PlacementFactory(paper=paper, challenge=challenge)
    PaperFactory(title="Elsewhere")
    return papers


def test_a_curator_freezes_a_list_with_a_token(curator_api, anon, oracles) -> None:
    response = curator_api.post(
        "/api/v1/listings/",
        {"title": "Oracles", "description": "Why", "query": "challenge=oracles&ordering=title"},
        format="json",
    )

    assert response.status_code == 201, response.content
    data = response.json()
    assert response["Location"] == data["url"] == "http://testserver/api/v1/listings/oracles/"
    assert (data["version"], data["paper_count"], data["created_by"]) == (1, 3, "cura")
    assert [e["record"]["title"] for e in data["entries"]] == [
        f"Oracle paper {i}" for i in range(3)
    ]
    assert data["parameters"] == {"challenge": ["oracles"], "ordering": ["title"]}
    assert data["cite_bibtex"].startswith("@misc{sellm-oracles,")
    assert data["prisma"]["listing"] == {"papers": 3}

    again = curator_api.post(
        "/api/v1/listings/",
        {"title": "Oracles", "query": "ordering=title&challenge=oracles"},
        format="json",
    )
    assert again.json()["version"] == 2
    assert again.json()["previous"] == "oracles"

    listed = anon.get("/api/v1/listings/").json()
    assert [row["slug"] for row in listed["results"]] == ["oracles-v2", "oracles"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": "x", "query": "challenge=nope"}, "query"),
        ({"title": "x", "query": "colour=red"}, "query"),
        ({"title": "x", "query": "y" * 3000}, "query"),
    ],
)
def test_a_bad_freeze_is_a_clear_400(curator_api, oracles, payload, field) -> None:
    response = curator_api.post("/api/v1/listings/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Listing.objects.exists()


def test_anonymous_and_readers_cannot_freeze(anon, reader_api, oracles) -> None:
    assert anon.post("/api/v1/listings/", {"title": "x"}, format="json").status_code == 401
    assert reader_api.post("/api/v1/listings/", {"title": "x"}, format="json").status_code == 403
    assert not Listing.objects.exists()


def test_exports_are_the_papers_as_frozen(anon, oracles, curator_user) -> None:
    listing = listing_freeze(title="Oracles", query="challenge=oracles")
    paper_edit(paper=oracles[0], data={"title": "Edited later"}, actor=curator_user)
    url = f"/api/v1/listings/{listing.slug}/"

    bib = anon.get(url, {"format": "bibtex"})
    ris = anon.get(url, {"format": "ris"})
    csl = anon.get(url, HTTP_ACCEPT="application/vnd.citationstyles.csl+json")
    detail = anon.get(url).json()

    frozen = sorted(f"Oracle paper {i}" for i in range(3))
    assert (
        sorted(
            e.fields_dict["title"].value
            for e in bibtexparser.parse_string(bib.content.decode()).entries
        )
        == frozen
    )
    assert sorted(r["title"] for r in rispy.loads(ris.content.decode())) == frozen
    assert sorted(i["title"] for i in json.loads(csl.content)) == frozen
    assert sorted(e["record"]["title"] for e in detail["entries"]) == frozen
    assert bib["Content-Disposition"] == 'attachment; filename="sellm-oracles.bib"'
    missing = anon.get("/api/v1/listings/nope/", {"format": "bibtex"})
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"
    assert anon.get(url, {"format": "xml"}).status_code == 404


def count_queries(client, url: str) -> int:  # type: ignore[no-untyped-def]
    cache.clear()  # the anonymous page cache would answer without a query
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_query_counts_do_not_grow_with_listings_or_papers(anon, client) -> None:
    challenge = ChallengeFactory(slug="oracles")

    def grow(n: int) -> str:
        for _i in range(n):
            PlacementFactory(paper=PaperFactory(authors=3), challenge=challenge)
        listing = None
        for _ in range(n):
            listing = listing_freeze(title="Oracles", query="challenge=oracles")
        assert listing is not None
        return listing.slug

    small = grow(2)
    counts_small = {
        url: count_queries(c, url)
        for c, url in (
            (anon, "/api/v1/listings/"),
            (anon, f"/api/v1/listings/{small}/"),
            (anon, f"/api/v1/listings/{small}/?format=bibtex"),
            (anon, "/api/v1/prisma/"),
            (client, "/listings/"),
            (client, f"/listings/{small}/"),
            (client, f"/listings/{small}/export.ris"),
            (client, "/prisma/"),
        )
    }
    big = grow(8)
    counts_big = {
        url.replace(small, big): count_queries(c, url.replace(small, big))
        for c, url in (
            (anon, "/api/v1/listings/"),
            (anon, f"/api/v1/listings/{small}/"),
            (anon, f"/api/v1/listings/{small}/?format=bibtex"),
            (anon, "/api/v1/prisma/"),
            (client, "/listings/"),
            (client, f"/listings/{small}/"),
            (client, f"/listings/{small}/export.ris"),
            (client, "/prisma/"),
        )
    }
    assert list(counts_small.values()) == list(counts_big.values())
    # The figures: one query each, whatever the sizes (listing, entries, versions, diffs).
    assert counts_big[f"/api/v1/listings/{big}/"] == 2
    assert counts_big[f"/listings/{big}/"] <= 10
