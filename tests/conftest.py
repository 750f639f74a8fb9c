"""Shared fixtures: users in each role, the loaded survey, and real-service guards."""

import io
import os
import socket

import pytest
from django.core.management import call_command
from django.test import Client

from apps.core.services import curator_create

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """PostgreSQL-only tests (marked `postgres`) run in the PostgreSQL pass; the SQLite pass
    deselects them rather than reporting skips."""
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    selected = [item for item in items if item.get_closest_marker("postgres") is None]
    deselected = [item for item in items if item.get_closest_marker("postgres") is not None]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def require_service(name: str, available: bool, hint: str) -> None:
    """Skip a test whose real service is missing — except in CI, where that is a failure."""
    if available:
        return
    message = f"{name} is not available ({hint})"
    if IN_CI:
        pytest.fail(f"{message}; CI requires it")
    pytest.skip(message)


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def curator(db):  # type: ignore[no-untyped-def]
    """A staff user in the curators group (password "curator-pass")."""
    return curator_create(username="curator", email="c@example.org", password="curator-pass")


@pytest.fixture
def curator_client(curator) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(curator)
    return client


@pytest.fixture
def survey(db) -> None:  # type: ignore[no-untyped-def]
    """The survey's taxonomy and seed papers, loaded by the real command."""
    call_command("load_survey", stdout=io.StringIO())
