"""HTML searches are throttled like the API's (HTML_THROTTLE_SEARCH), with a friendly 429."""

import pytest
from django.core.cache import cache
from django.test import Client

from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _low_rate(settings):  # type: ignore[no-untyped-def]
    settings.HTML_THROTTLE_SEARCH = "3/minute"
    cache.clear()
    yield
    cache.clear()


def test_a_reader_searching_too_fast_gets_a_friendly_429_with_retry_after() -> None:
    PaperFactory(title="Testing large language models")
    client = Client()

    answers = [
        client.get("/papers/", {"q": word}).status_code for word in ("testing", "models", "oracle")
    ]
    throttled = client.get("/papers/", {"q": "agents"})

    assert answers == [200, 200, 200]
    assert throttled.status_code == 429
    assert 1 <= int(throttled["Retry-After"]) <= 60
    text = throttled.content.decode()
    assert "<title>Too many searches · sellm</title>" in text
    assert "You can search again in" in text
    assert throttled.get("Cache-Control") is None or "public" not in throttled["Cache-Control"]


def test_browsing_and_cached_searches_do_not_count() -> None:
    client = Client()
    for _ in range(3):
        assert client.get("/papers/", {"q": "benchmark"}).status_code == 200  # one search, cached
    for page in range(5):
        assert client.get("/papers/", {"year": 2000 + page}).status_code == 200

    assert client.get("/papers/", {"q": "evaluation"}).status_code == 200


def test_each_reader_has_their_own_count(curator) -> None:  # type: ignore[no-untyped-def]
    reader = Client(REMOTE_ADDR="192.0.2.10")
    other = Client(REMOTE_ADDR="192.0.2.20")
    signed_in = Client(REMOTE_ADDR="192.0.2.10")
    signed_in.force_login(curator)

    for word in ("testing", "models", "oracle"):
        reader.get("/papers/", {"q": word})

    assert reader.get("/papers/", {"q": "agents"}).status_code == 429
    assert other.get("/papers/", {"q": "agents"}).status_code == 200
    assert signed_in.get("/papers/", {"q": "agents"}).status_code == 200


def test_the_bibtex_export_of_a_search_counts_too() -> None:
    client = Client()
    for word in ("testing", "models", "oracle"):
        client.get("/papers/", {"q": word})

    assert client.get("/papers/bibtex/", {"q": "evaluation"}).status_code == 429
    assert client.get("/papers/bibtex/").status_code == 200
