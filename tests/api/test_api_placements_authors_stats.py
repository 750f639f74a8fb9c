"""Placements (curators review suggestions), authors, and grouped counts."""

import pytest

from apps.papers.models import Paper, Placement
from tests.api.helpers import ids
from tests.factories import (
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def placements():
    testing = PhaseFactory(slug="testing", order=1)
    deploy = PhaseFactory(slug="deploy", order=2)
    oracle = ChallengeFactory(slug="oracle", phase=testing)
    paper = PaperFactory(title="Public paper")
    hidden = PaperFactory(title="Inbox paper", status=Paper.Status.INBOX)
    return {
        "testing": testing,
        "deploy": deploy,
        "oracle": oracle,
        "paper": paper,
        "hidden": hidden,
        "accepted": PlacementFactory(paper=paper, phase=testing),
        "pending": PlacementFactory(
            paper=paper,
            challenge=oracle,
            origin=Placement.Origin.SUGGESTED,
            confidence=0.7,
            review_state=Placement.ReviewState.PENDING,
        ),
        "rejected": PlacementFactory(
            paper=paper, phase=deploy, review_state=Placement.ReviewState.REJECTED
        ),
        "of_hidden": PlacementFactory(paper=hidden, phase=testing),
    }


def test_the_public_sees_accepted_placements_of_included_papers_only(anon, placements):
    assert ids(anon.get("/api/v1/placements/")) == [placements["accepted"].pk]
    for key in ("pending", "rejected", "of_hidden"):
        assert anon.get(f"/api/v1/placements/{placements[key].pk}/").status_code == 404


def test_curators_see_every_placement_and_filter_them(curator_api, placements):
    everything = ids(curator_api.get("/api/v1/placements/", {"page_size": 200}))
    pending = ids(curator_api.get("/api/v1/placements/", {"review_state": "pending"}))
    suggested = curator_api.get("/api/v1/placements/", {"origin": "suggested"}).json()

    assert len(everything) == 4
    assert pending == [placements["pending"].pk]
    assert suggested["results"][0]["confidence"] == 0.7
    assert suggested["results"][0]["paper"]["title"] == "Public paper"
    by_paper = ids(curator_api.get("/api/v1/placements/", {"paper": placements["hidden"].pk}))
    assert by_paper == [placements["of_hidden"].pk]
    by_challenge = ids(curator_api.get("/api/v1/placements/", {"challenge": "oracle"}))
    assert by_challenge == [placements["pending"].pk]
    by_phase = ids(curator_api.get("/api/v1/placements/", {"phase": "deploy"}))
    assert by_phase == [placements["rejected"].pk]
    assert curator_api.get("/api/v1/placements/", {"origin": "robot"}).status_code == 400


def test_a_curator_accepts_and_rejects_suggestions(curator_api, anon, curator_user, placements):
    pending = placements["pending"]

    accepted = curator_api.post(f"/api/v1/placements/{pending.pk}/accept/")

    assert accepted.status_code == 200
    assert accepted.json()["review_state"] == "accepted"
    pending.refresh_from_db()
    assert pending.reviewed_by == curator_user
    assert pending.history.first().history_user == curator_user
    assert anon.get(f"/api/v1/placements/{pending.pk}/").status_code == 200
    rejected = curator_api.post(f"/api/v1/placements/{pending.pk}/reject/")
    assert rejected.json()["review_state"] == "rejected"
    assert anon.get(f"/api/v1/placements/{pending.pk}/").status_code == 404


def test_placing_a_paper_accepts_an_existing_suggestion_instead_of_duplicating(
    curator_api, placements
):
    paper = placements["paper"]

    response = curator_api.post(
        "/api/v1/placements/",
        {"paper": paper.pk, "challenge": "oracle", "evidence": "Section 3"},
        format="json",
    )
    again = curator_api.post(
        "/api/v1/placements/", {"paper": paper.pk, "challenge": "oracle"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["id"] == placements["pending"].pk
    assert response.json()["review_state"] == "accepted"
    assert response.json()["evidence"] == "Section 3"
    assert again.status_code == 200
    assert Placement.objects.filter(paper=paper, challenge__slug="oracle").count() == 1


def test_a_curator_places_edits_and_deletes(curator_api, placements):
    direction = ResearchDirectionFactory(slug="fuzzing", phase=placements["testing"])
    created = curator_api.post(
        "/api/v1/placements/",
        {"paper": placements["paper"].pk, "direction": "fuzzing"},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["origin"] == "curator"
    assert created.json()["target_kind"] == "direction"
    placement_url = created.json()["url"]

    taken = curator_api.patch(placement_url, {"phase": "deploy"}, format="json")
    assert taken.status_code == 400  # the paper has a (rejected) placement there already
    assert "non_field_errors" in taken.json()["errors"]
    PhaseFactory(slug="maintain", order=3)
    moved = curator_api.patch(placement_url, {"phase": "maintain"}, format="json")
    assert moved.status_code == 200, moved.json()
    assert (moved.json()["target_kind"], moved.json()["phase"]["slug"]) == ("phase", "maintain")
    assert moved.json()["direction"] is None
    assert curator_api.delete(placement_url).status_code == 204
    assert not Placement.objects.filter(direction=direction).exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"phase": "testing"},
        {"paper": 999999, "phase": "testing"},
        {"paper": "PAPER", "phase": "testing", "challenge": "oracle"},
        {"paper": "PAPER"},
        {"paper": "PAPER", "phase": "nope"},
        {"paper": "PAPER", "phase": "testing", "review_state": "rejected"},
    ],
)
def test_invalid_placements_are_400(curator_api, placements, payload):
    payload = {k: placements["paper"].pk if v == "PAPER" else v for k, v in payload.items()}
    before = Placement.objects.count()

    response = curator_api.post("/api/v1/placements/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert Placement.objects.count() == before


# --- authors ------------------------------------------------------------------------------


@pytest.fixture
def authors():
    public = PaperFactory(title="Public", authors=["José Núñez", "Ada Lovelace"])
    hidden = PaperFactory(title="Hidden", status=Paper.Status.INBOX, authors=["Ada Lovelace"])
    secret = PaperFactory(title="Secret", status=Paper.Status.EXCLUDED, authors=["Only Hidden"])
    return {"public": public, "hidden": hidden, "secret": secret}


def names(response) -> list[str]:
    return [row["name"] for row in response.json()["results"]]


def test_authors_list_hides_authors_of_hidden_papers_only(anon, curator_api, authors):
    assert names(anon.get("/api/v1/authors/")) == ["Ada Lovelace", "José Núñez"]
    assert names(curator_api.get("/api/v1/authors/")) == [
        "Ada Lovelace",
        "José Núñez",
        "Only Hidden",
    ]
    rows = anon.get("/api/v1/authors/").json()["results"]
    assert [row["paper_count"] for row in rows] == [1, 1]  # included papers only


def test_author_search_ignores_case_and_accents(anon, authors):
    assert names(anon.get("/api/v1/authors/", {"q": "nunez"})) == ["José Núñez"]
    assert names(anon.get("/api/v1/authors/", {"q": "LOVE ada"})) == ["Ada Lovelace"]
    assert names(anon.get("/api/v1/authors/", {"q": "hidden"})) == []


def test_author_detail_lists_only_visible_papers(anon, curator_api, authors):
    ada = authors["public"].authorships.get(position=1).author
    hidden_only = authors["secret"].authorships.get().author

    public_view = anon.get(f"/api/v1/authors/{ada.pk}/").json()
    curator_view = curator_api.get(f"/api/v1/authors/{ada.pk}/").json()

    assert [p["title"] for p in public_view["papers"]] == ["Public"]
    assert sorted(p["title"] for p in curator_view["papers"]) == ["Hidden", "Public"]
    assert anon.get(f"/api/v1/authors/{hidden_only.pk}/").status_code == 404
    assert curator_api.get(f"/api/v1/authors/{hidden_only.pk}/").status_code == 200


# --- stats --------------------------------------------------------------------------------


@pytest.fixture
def counted():
    testing = PhaseFactory(slug="testing", order=1)
    deploy = PhaseFactory(slug="deploy", order=2)
    oracle = ChallengeFactory(slug="oracle", phase=testing)
    a = PaperFactory(year=2023, authors=["Ada Lovelace"])
    b = PaperFactory(year=2024)
    inbox = PaperFactory(year=2024, status=Paper.Status.INBOX)
    PlacementFactory(paper=a, challenge=oracle)
    PlacementFactory(paper=b, challenge=oracle)
    PlacementFactory(paper=b, phase=deploy)
    PlacementFactory(paper=inbox, phase=deploy)
    PlacementFactory(paper=a, phase=deploy, review_state=Placement.ReviewState.PENDING)


def stats(client, **params):
    response = client.get("/api/v1/stats/", params)
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def test_stats_count_included_papers_by_group(anon, curator_api, counted):
    assert stats(anon, group_by="phase") == [
        {"phase": "testing", "count": 2},
        {"phase": "deploy", "count": 1},
    ]
    assert stats(anon, group_by="year") == [{"year": 2023, "count": 1}, {"year": 2024, "count": 1}]
    assert stats(anon, group_by="phase,challenge") == [
        {"phase": "testing", "challenge": "oracle", "count": 2}
    ]
    assert stats(anon, group_by=["challenge", "year"]) == [
        {"challenge": "oracle", "year": 2023, "count": 1},
        {"challenge": "oracle", "year": 2024, "count": 1},
    ]
    # curators get the same public counts: stats describe the published knowledge base
    assert stats(curator_api, group_by="phase") == stats(anon, group_by="phase")


def test_stats_take_the_paper_filters(anon, counted):
    assert stats(anon, group_by="phase", year=2023) == [{"phase": "testing", "count": 1}]
    assert stats(anon, group_by="year", author="lovelace") == [{"year": 2023, "count": 1}]
    assert stats(anon, group_by="year", phase="deploy") == [{"year": 2024, "count": 1}]


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"group_by": ""},
        {"group_by": "venue"},
        {"group_by": "challenge,direction"},
        {"group_by": "phase,year,challenge"},
        {"group_by": "year", "year": "x"},
    ],
)
def test_bad_stats_requests_are_400(anon, counted, params):
    response = anon.get("/api/v1/stats/", params)

    assert response.status_code == 400
    assert response.json()["detail"]
