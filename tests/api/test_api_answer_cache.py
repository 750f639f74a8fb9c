"""The anonymous answer cache: repeated public reads cost no query; nobody else is served
from it, nothing but an anonymous JSON 200 is stored, and throttling still counts."""

import hashlib

import pytest
from django.core.cache import cache

from apps.core.api.cache import CACHE_PREFIX
from tests.factories import PaperFactory, PhaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _answer_cache_on(settings):  # type: ignore[no-untyped-def]
    settings.API_CACHE_SECONDS = 60


def test_a_repeated_anonymous_read_is_answered_from_the_cache(
    anon, curator_api, django_assert_num_queries
) -> None:
    paper = PaperFactory(title="Before the edit")
    first = anon.get("/api/v1/papers/")
    curator_api.patch(f"/api/v1/papers/{paper.pk}/", {"title": "After the edit"}, format="json")

    with django_assert_num_queries(0):
        again = anon.get("/api/v1/papers/")

    assert again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert "Before the edit" in again.content.decode()


def test_the_cache_expires_into_a_fresh_answer(anon, curator_api) -> None:
    paper = PaperFactory(title="Before the edit")
    anon.get(f"/api/v1/papers/{paper.pk}/")
    curator_api.patch(f"/api/v1/papers/{paper.pk}/", {"title": "After the edit"}, format="json")
    cache.clear()  # what API_CACHE_SECONDS passing does

    assert anon.get(f"/api/v1/papers/{paper.pk}/").json()["title"] == "After the edit"


def test_a_token_is_always_answered_afresh_and_never_fills_the_cache(anon, curator_api) -> None:
    paper = PaperFactory(title="Before the edit")
    curator_api.get("/api/v1/papers/")
    curator_api.patch(f"/api/v1/papers/{paper.pk}/", {"title": "After the edit"}, format="json")

    assert "After the edit" in curator_api.get("/api/v1/papers/").content.decode()
    assert "After the edit" in anon.get("/api/v1/papers/").content.decode()


def test_a_curators_inbox_paper_never_reaches_the_public_through_the_cache(
    anon, curator_api
) -> None:
    hidden = PaperFactory(status="inbox", title="Not yet screened")

    assert curator_api.get(f"/api/v1/papers/{hidden.pk}/").status_code == 200
    assert anon.get(f"/api/v1/papers/{hidden.pk}/").status_code == 404
    assert "Not yet screened" not in anon.get("/api/v1/papers/").content.decode()


def stored(path: str) -> bool:
    """Whether the answer cache holds an answer for `path` (the test client's host)."""
    url = f"http://testserver{path}"
    return cache.get(CACHE_PREFIX + hashlib.sha256(url.encode()).hexdigest()) is not None


def test_an_anonymous_json_success_is_stored(anon) -> None:
    PaperFactory()
    anon.get("/api/v1/papers/")

    assert stored("/api/v1/papers/")


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v1/papers/?format=bibtex", "*/*"),  # an export
        ("/api/v1/papers/?year=17", "*/*"),  # a 400
        ("/api/v1/papers/999999/", "*/*"),  # a 404
        ("/api/v1/phases/", "text/html"),  # the browsable API
    ],
)
def test_nothing_else_is_stored(anon, path: str, accept: str) -> None:
    PaperFactory()
    PhaseFactory()

    anon.get(path, HTTP_ACCEPT=accept)

    assert not stored(path)


def test_a_cached_answer_still_counts_against_the_clients_rate(anon, settings) -> None:
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/minute"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    codes = [anon.get("/api/v1/phases/").status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]


def test_zero_seconds_answers_every_request_afresh(
    anon, settings, django_assert_max_num_queries
) -> None:
    settings.API_CACHE_SECONDS = 0
    PaperFactory()
    anon.get("/api/v1/papers/")

    with django_assert_max_num_queries(50) as queries:
        anon.get("/api/v1/papers/")

    assert len(queries) > 0
