"""Fixtures of the REST API tests: a client per role, fresh throttle counts per test."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.core.api.tokens import api_token_issue
from apps.core.services import curator_create


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Throttling counts in the cache; each test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def curator_user(db):
    return curator_create(username="cura", email="cura@example.org", password="cura-pass-1234")


@pytest.fixture
def curator_api(curator_user) -> APIClient:
    """A curator's script: authenticated by its API token."""
    token, _ = api_token_issue(user=curator_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def admin_user(db):
    return User.objects.create_superuser("root", "root@example.org", "root-pass-1234")


@pytest.fixture
def admin_api(admin_user) -> APIClient:
    token, _ = api_token_issue(user=admin_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def reader_api(db) -> APIClient:
    """A signed-in user who is not a curator (session authentication)."""
    user = User.objects.create_user("reader", "reader@example.org", "reader-pass-1234")
    client = APIClient()
    client.force_login(user)
    return client
