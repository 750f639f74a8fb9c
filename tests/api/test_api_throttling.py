"""Throttling: per-client rates from settings, stricter for searches and exports, counted in
the shared cache (Redis in production)."""

import pytest
from django.core.cache import cache

from tests.conftest import port_open, require_service
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

RATES = {"anon": "5/minute", "user": "8/minute", "search": "2/minute", "export": "1/minute"}


@pytest.fixture
def rates(settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": RATES}
    PaperFactory()


def test_anonymous_clients_get_429_past_their_rate(anon, rates):
    codes = [anon.get("/api/v1/phases/").status_code for _ in range(6)]

    assert codes == [200] * 5 + [429]
    response = anon.get("/api/v1/papers/")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "throttled" in response.json()["detail"].lower()


def test_signed_in_clients_have_their_own_larger_rate(anon, curator_api, rates):
    for _ in range(5):
        anon.get("/api/v1/phases/")

    codes = [curator_api.get("/api/v1/phases/").status_code for _ in range(9)]

    assert anon.get("/api/v1/phases/").status_code == 429
    assert codes == [200] * 8 + [429]


def test_searches_have_a_stricter_scoped_rate(anon, rates):
    searches = [anon.get("/api/v1/papers/", {"q": "testing"}).status_code for _ in range(3)]

    assert searches == [200, 200, 429]
    assert anon.get("/api/v1/papers/").status_code == 200  # plain lists still pass


def test_exports_have_a_stricter_scoped_rate(anon, rates):
    first = anon.get("/api/v1/papers/", {"format": "bibtex"})
    second = anon.get("/api/v1/papers/", HTTP_ACCEPT="application/x-bibtex")

    assert first.status_code == 200
    assert second.status_code == 429
    assert second["Content-Type"] == "application/json"
    assert anon.get("/api/v1/papers/").status_code == 200


def test_a_forged_forwarded_for_does_not_reset_the_count(anon, rates):
    codes = [
        anon.get("/api/v1/phases/", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code
        for n in range(6)
    ]

    assert codes[-1] == 429


def test_counts_live_in_redis_when_the_cache_is_redis(anon, settings, rates):
    require_service("Redis", port_open("127.0.0.1", 6379), "start redis-server on 6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/2",
            "KEY_PREFIX": "sellm-api-test",
        }
    }
    cache.clear()
    try:
        codes = [anon.get("/api/v1/phases/").status_code for _ in range(6)]
        import redis

        keys = redis.Redis.from_url("redis://127.0.0.1:6379/2").keys("sellm-api-test*throttle*")
    finally:
        cache.clear()

    assert codes == [200] * 5 + [429]
    assert keys  # the counts were in Redis, shared by every web process
