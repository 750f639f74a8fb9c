"""Phases, challenges and directions: by slug, with brief nested children and counts of
included papers; curators' writes through the taxonomy services."""

import pytest

from apps.papers.models import Paper, Placement
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from apps.taxonomy.services import read_survey_taxonomy, survey_taxonomy_load
from tests.factories import (
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
    StatusTopicFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy():
    testing = PhaseFactory(slug="testing", order=4, name="Testing")
    deploy = PhaseFactory(slug="deploy", order=5, name="Deployment")
    oracle = ChallengeFactory(slug="oracle", phase=testing, position=0)
    flaky = ChallengeFactory(slug="flaky", phase=testing, position=1)
    fuzz = ResearchDirectionFactory(slug="fuzzing", phase=testing, challenges=[oracle, flaky])
    StatusTopicFactory(phase=testing, name="Benchmarks abound")
    a, b = PaperFactory(), PaperFactory()
    hidden = PaperFactory(status=Paper.Status.INBOX)
    PlacementFactory(paper=a, challenge=oracle)
    PlacementFactory(paper=a, direction=fuzz)  # same paper twice in the phase: counted once
    PlacementFactory(paper=b, phase=testing)
    PlacementFactory(paper=hidden, challenge=oracle)  # not public: not counted
    PlacementFactory(
        paper=b,
        challenge=flaky,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )  # not accepted: not counted
    return {"testing": testing, "deploy": deploy, "oracle": oracle, "flaky": flaky, "fuzz": fuzz}


def test_phases_in_lifecycle_order_with_children_and_counts(anon, taxonomy):
    rows = anon.get("/api/v1/phases/").json()["results"]

    assert [row["slug"] for row in rows] == ["testing", "deploy"]
    testing = rows[0]
    assert testing["paper_count"] == 2
    assert [(c["slug"], c["paper_count"]) for c in testing["challenges"]] == [
        ("oracle", 1),
        ("flaky", 0),
    ]
    assert [(d["slug"], d["paper_count"], d["status"]) for d in testing["directions"]] == [
        ("fuzzing", 1, "open")
    ]
    assert [t["name"] for t in testing["status_topics"]] == ["Benchmarks abound"]
    assert testing["url"] == "http://testserver/api/v1/phases/testing/"
    assert testing["papers"] == "http://testserver/api/v1/papers/?phase=testing"
    assert rows[1]["paper_count"] == 0


def test_the_counts_match_the_filtered_paper_list(anon, taxonomy):
    for kind, slug in (("phases", "testing"), ("challenges", "oracle"), ("directions", "fuzzing")):
        item = anon.get(f"/api/v1/{kind}/{slug}/").json()
        papers = anon.get(item["papers"]).json()
        assert item["paper_count"] == papers["count"]


def test_challenge_and_direction_details_by_slug(anon, taxonomy):
    oracle = anon.get("/api/v1/challenges/oracle/").json()
    fuzz = anon.get("/api/v1/directions/fuzzing/").json()

    assert oracle["phase"] == {
        "slug": "testing",
        "name": "Testing",
        "url": "http://testserver/api/v1/phases/testing/",
    }
    assert [d["slug"] for d in oracle["directions"]] == ["fuzzing"]
    assert oracle["paper_count"] == 1
    assert [c["slug"] for c in fuzz["challenges"]] == ["oracle", "flaky"]
    assert fuzz["phase"]["slug"] == "testing"
    assert anon.get("/api/v1/challenges/missing/").status_code == 404


@pytest.mark.parametrize(
    ("url", "params", "expected"),
    [
        ("/api/v1/challenges/", {"phase": "testing"}, ["oracle", "flaky"]),
        ("/api/v1/challenges/", {"phase": "deploy"}, []),
        ("/api/v1/challenges/", {"provenance": "survey"}, []),
        ("/api/v1/directions/", {"challenge": "flaky"}, ["fuzzing"]),
        ("/api/v1/directions/", {"challenge": "flaky,oracle"}, ["fuzzing"]),
        ("/api/v1/directions/", {"status": "active"}, []),
        ("/api/v1/directions/", {"phase": "testing", "status": "open"}, ["fuzzing"]),
    ],
)
def test_taxonomy_filters(anon, taxonomy, url, params, expected):
    response = anon.get(url, params)

    assert [row["slug"] for row in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/api/v1/challenges/", {"phase": "nope"}),
        ("/api/v1/directions/", {"challenge": "nope"}),
        ("/api/v1/directions/", {"status": "closed"}),
    ],
)
def test_bad_taxonomy_filters_are_400(anon, taxonomy, url, params):
    assert anon.get(url, params).status_code == 400


def test_a_curator_adds_edits_and_deletes_taxonomy_items(curator_api, taxonomy):
    created = curator_api.post(
        "/api/v1/challenges/",
        {"slug": "cost", "phase": "testing", "name": "Evaluation cost", "keywords": ["cost"]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["provenance"] == "curated"
    challenge = Challenge.objects.get(slug="cost")
    assert {"slug", "phase", "name", "keywords"} <= set(challenge.curator_edited_fields)

    direction = curator_api.post(
        "/api/v1/directions/",
        {"slug": "cheap-evals", "phase": "testing", "name": "Cheap evals", "challenges": ["cost"]},
        format="json",
    )
    assert direction.status_code == 201, direction.json()
    assert [c["slug"] for c in direction.json()["challenges"]] == ["cost"]

    edited = curator_api.patch(
        "/api/v1/directions/cheap-evals/", {"status": "active", "challenges": []}, format="json"
    )
    assert edited.json()["status"] == "active"
    assert edited.json()["challenges"] == []

    phase = curator_api.post(
        "/api/v1/phases/", {"slug": "retire", "order": 9, "name": "Retirement"}, format="json"
    )
    assert phase.status_code == 201
    assert curator_api.delete("/api/v1/directions/cheap-evals/").status_code == 204
    assert curator_api.delete("/api/v1/challenges/cost/").status_code == 204
    assert curator_api.delete("/api/v1/phases/retire/").status_code == 204
    assert not Phase.objects.filter(slug="retire").exists()
    assert not ResearchDirection.objects.filter(slug="cheap-evals").exists()


def test_deleting_an_item_in_use_is_a_409_that_says_why(curator_api, taxonomy):
    response = curator_api.delete("/api/v1/challenges/oracle/")

    assert response.status_code == 409
    assert "placement" in response.json()["detail"]
    assert Challenge.objects.filter(slug="oracle").exists()
    assert curator_api.delete("/api/v1/phases/testing/").status_code == 409


@pytest.mark.parametrize(
    ("url", "payload", "field"),
    [
        ("/api/v1/phases/", {"slug": "testing", "order": 7, "name": "Dup"}, "slug"),
        ("/api/v1/phases/", {"slug": "new", "order": 4, "name": "Same order"}, "order"),
        ("/api/v1/phases/", {"slug": "new", "order": 0, "name": "Zero"}, "order"),
        ("/api/v1/phases/", {"slug": "not a slug", "order": 8, "name": "X"}, "slug"),
        ("/api/v1/challenges/", {"slug": "x", "phase": "nope", "name": "X"}, "phase"),
        (
            "/api/v1/directions/",
            {"slug": "x", "phase": "deploy", "name": "X", "challenges": ["oracle"]},
            "challenges",
        ),
    ],
)
def test_invalid_taxonomy_writes_are_400(curator_api, taxonomy, url, payload, field):
    before = (Phase.objects.count(), Challenge.objects.count(), ResearchDirection.objects.count())

    response = curator_api.post(url, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    after = (Phase.objects.count(), Challenge.objects.count(), ResearchDirection.objects.count())
    assert after == before


def test_moving_a_challenge_to_another_phase_moves_its_placements(curator_api, anon, taxonomy):
    paper = Placement.objects.get(challenge=taxonomy["oracle"], paper__status="included").paper

    response = curator_api.patch("/api/v1/challenges/oracle/", {"phase": "deploy"}, format="json")

    assert response.status_code == 200
    assert response.json()["phase"]["slug"] == "deploy"
    placement = Placement.objects.get(paper=paper, challenge=taxonomy["oracle"])
    assert placement.phase == taxonomy["deploy"]
    assert paper.pk in [
        row["id"] for row in anon.get("/api/v1/papers/?phase=deploy").json()["results"]
    ]


def test_a_curators_edit_survives_the_survey_loader(curator_api, survey):
    challenge = Challenge.objects.filter(provenance="survey").first()

    response = curator_api.patch(
        f"/api/v1/challenges/{challenge.slug}/", {"name": "Curated name"}, format="json"
    )
    survey_taxonomy_load(data=read_survey_taxonomy())

    assert response.status_code == 200
    challenge.refresh_from_db()
    assert challenge.name == "Curated name"
    assert "name" in challenge.curator_edited_fields


def test_counts_are_exact_on_every_answer(anon, taxonomy):
    first = anon.get("/api/v1/challenges/oracle/").json()
    PaperFactory().placements.create(
        phase=taxonomy["testing"],
        challenge=taxonomy["oracle"],
        origin="curator",
        review_state="accepted",
    )
    after = anon.get("/api/v1/challenges/oracle/").json()

    # Read from the summary of counts, which the write moved: no minute of stale counts.
    assert (first["paper_count"], after["paper_count"]) == (1, 2)
