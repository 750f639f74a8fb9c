"""The permission matrix: anonymous / signed-in reader / curator / admin x list / detail /
create / update / delete, for every endpoint. Anyone reads the public knowledge base;
curators (and superusers) write; ingestion is for curators only."""

import pytest

from apps.ingestion.bibtex.services import bibtex_import_start
from apps.ingestion.models import BibtexImport, IngestRun
from apps.papers.models import Paper, Placement
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from tests.factories import (
    ChallengeFactory,
    IngestRunFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db

ROLES = ("anon", "reader", "curator", "admin")
ACTIONS = ("list", "detail", "create", "update", "delete")


@pytest.fixture
def world():
    phase = PhaseFactory(slug="testing", order=1)
    spare_phase = PhaseFactory(slug="spare", order=2)
    challenge = ChallengeFactory(slug="oracle", phase=phase)
    spare_challenge = ChallengeFactory(slug="spare-challenge", phase=phase)
    direction = ResearchDirectionFactory(slug="fuzzing", phase=phase)
    paper = PaperFactory(authors=["Ada Lovelace"])
    placement = PlacementFactory(paper=paper, challenge=challenge)
    return {
        "phase": phase,
        "spare_phase": spare_phase,
        "challenge": challenge,
        "spare_challenge": spare_challenge,
        "direction": direction,
        "paper": paper,
        "placement": placement,
        "author": paper.authorships.get().author,
        "run": IngestRunFactory(),
        "bibtex_import": bibtex_import_start(data=b"@misc{k, title = {Imported}}")[0],
    }


# endpoint → (list URL, detail URL, create payload, update payload, delete URL, model counted)
def endpoints(w: dict) -> dict:
    return {
        "phases": (
            "/api/v1/phases/",
            "/api/v1/phases/testing/",
            {"slug": "new-phase", "order": 9, "name": "New"},
            {"name": "Renamed"},
            "/api/v1/phases/spare/",
            Phase,
        ),
        "challenges": (
            "/api/v1/challenges/",
            "/api/v1/challenges/oracle/",
            {"slug": "new-challenge", "phase": "testing", "name": "New"},
            {"name": "Renamed"},
            "/api/v1/challenges/spare-challenge/",
            Challenge,
        ),
        "directions": (
            "/api/v1/directions/",
            "/api/v1/directions/fuzzing/",
            {"slug": "new-direction", "phase": "testing", "name": "New"},
            {"status": "active"},
            "/api/v1/directions/fuzzing/",
            ResearchDirection,
        ),
        "papers": (
            "/api/v1/papers/",
            f"/api/v1/papers/{w['paper'].pk}/",
            {"title": "A new paper", "arxiv_id": "2409.00001"},
            {"title": "Renamed"},
            f"/api/v1/papers/{w['paper'].pk}/",
            Paper,
        ),
        "placements": (
            "/api/v1/placements/",
            f"/api/v1/placements/{w['placement'].pk}/",
            {"paper": w["paper"].pk, "direction": "fuzzing"},
            {"evidence": "Section 2"},
            f"/api/v1/placements/{w['placement'].pk}/",
            Placement,
        ),
        "authors": (
            "/api/v1/authors/",
            f"/api/v1/authors/{w['author'].pk}/",
            {"name": "Someone"},
            {"name": "Renamed"},
            f"/api/v1/authors/{w['author'].pk}/",
            None,
        ),
        "ingest-runs": (
            "/api/v1/ingest-runs/",
            f"/api/v1/ingest-runs/{w['run'].pk}/",
            {"kind": "arxiv_ids"},
            {"status": "failed"},
            f"/api/v1/ingest-runs/{w['run'].pk}/",
            IngestRun,
        ),
        "bibtex-imports": (
            "/api/v1/bibtex-imports/",
            f"/api/v1/bibtex-imports/{w['bibtex_import'].pk}/",
            {"text": "@misc{new, title = {Posted}}"},
            {"filename": "renamed.bib"},
            f"/api/v1/bibtex-imports/{w['bibtex_import'].pk}/",
            BibtexImport,
        ),
    }


WRITABLE = {"anon": 401, "reader": 403, "curator": "ok", "admin": "ok"}
READ_ONLY = {"anon": 401, "reader": 403, "curator": 405, "admin": 405}
OK = {"list": 200, "detail": 200, "create": 201, "update": 200, "delete": 204}
EXPECTED = {
    **{
        name: {
            role: {
                "list": 200,
                "detail": 200,
                **{a: OK[a] if WRITABLE[role] == "ok" else WRITABLE[role] for a in ACTIONS[2:]},
            }
            for role in ROLES
        }
        for name in ("phases", "challenges", "directions", "papers", "placements")
    },
    "authors": {
        role: {"list": 200, "detail": 200, **dict.fromkeys(ACTIONS[2:], READ_ONLY[role])}
        for role in ROLES
    },
    "ingest-runs": {
        "anon": dict.fromkeys(ACTIONS, 401),
        "reader": dict.fromkeys(ACTIONS, 403),
        "curator": {"list": 200, "detail": 200, "create": 405, "update": 405, "delete": 405},
        "admin": {"list": 200, "detail": 200, "create": 405, "update": 405, "delete": 405},
    },
    # Imports are created (the file is imported) and read back; an import is never edited
    # or deleted — its papers are, one by one.
    "bibtex-imports": {
        "anon": dict.fromkeys(ACTIONS, 401),
        "reader": dict.fromkeys(ACTIONS, 403),
        **{
            role: {"list": 200, "detail": 200, "create": 201, "update": 405, "delete": 405}
            for role in ("curator", "admin")
        },
    },
}


@pytest.fixture
def clients(anon, reader_api, curator_api, admin_api):
    return {"anon": anon, "reader": reader_api, "curator": curator_api, "admin": admin_api}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", list(EXPECTED))
def test_permission_matrix(clients, world, endpoint, role, action):
    list_url, detail_url, create, update, delete_url, model = endpoints(world)[endpoint]
    client = clients[role]
    before = model.objects.count() if model else None

    if action == "list":
        response = client.get(list_url)
    elif action == "detail":
        response = client.get(detail_url)
    elif action == "create":
        response = client.post(list_url, create, format="json")
    elif action == "update":
        response = client.patch(detail_url, update, format="json")
    else:
        response = client.delete(delete_url)

    expected = EXPECTED[endpoint][role][action]
    assert response.status_code == expected, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response.json()["detail"]
        if model is not None:
            assert model.objects.count() == before  # a refused write wrote nothing
    if expected == 401:
        assert response["WWW-Authenticate"] == "Token"
    if action == "delete" and expected == 204:
        assert model.objects.count() == before - 1


@pytest.mark.parametrize(
    ("role", "post", "get"),
    [("anon", 401, 200), ("reader", 403, 200), ("curator", 405, 200), ("admin", 405, 200)],
)
def test_stats_are_read_only(clients, world, role, post, get):
    client = clients[role]

    assert client.get("/api/v1/stats/", {"group_by": "phase"}).status_code == get
    assert client.post("/api/v1/stats/", {}, format="json").status_code == post


@pytest.mark.parametrize(
    ("role", "post", "get"),
    [("anon", 401, 401), ("reader", 403, 403), ("curator", 202, 405), ("admin", 202, 405)],
)
def test_ingest_is_for_curators(
    clients, world, role, post, get, django_capture_on_commit_callbacks
):
    client = clients[role]
    before = IngestRun.objects.count()

    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/api/v1/ingest/", {"arxiv_ids": ["2401.01234"]}, format="json")

    assert response.status_code == post
    assert client.get("/api/v1/ingest/").status_code == get
    assert IngestRun.objects.count() == before + (post == 202)


@pytest.mark.parametrize(("role", "code"), [("curator", 200), ("anon", 401), ("reader", 403)])
def test_reviewing_placements_is_for_curators(clients, world, role, code):
    placement = world["placement"]
    Placement.objects.filter(pk=placement.pk).update(review_state="pending")

    response = clients[role].post(f"/api/v1/placements/{placement.pk}/accept/")

    assert response.status_code == code
    placement.refresh_from_db()
    assert placement.review_state == ("accepted" if code == 200 else "pending")


def test_a_wrong_token_is_401_even_for_reads(world):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/papers/")

    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_a_curator_writes_with_a_session_and_its_csrf_token(curator_user):
    from rest_framework.test import APIClient

    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(curator_user)
    payload = {"title": "Written in a browser session"}

    refused = browser.post("/api/v1/papers/", payload, format="json")
    browser.get("/admin/")  # any page that sets the CSRF cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post("/api/v1/papers/", payload, format="json", HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert accepted.status_code == 201
    assert Paper.objects.filter(title="Written in a browser session").count() == 1
