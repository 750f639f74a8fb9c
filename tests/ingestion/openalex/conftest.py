"""Fixtures for OpenAlex tests: the stand-in, a client pointed at it, and settings that send
the runs' own clients there too."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.ingestion.arxiv.politeness import FilePoliteness
from apps.ingestion.openalex.client import OpenAlexClient
from tests.ingestion.openalex.standin import OpenAlexStandin


@pytest.fixture
def openalex() -> Iterator[OpenAlexStandin]:
    server = OpenAlexStandin().start()
    yield server
    server.stop()


@pytest.fixture
def openalex_client(openalex: OpenAlexStandin, tmp_path: Path) -> Iterator[OpenAlexClient]:
    """The real client against the stand-in: short timeout, tiny backoff, no spacing."""
    client = OpenAlexClient(
        api_url=openalex.url,
        politeness=FilePoliteness(path=tmp_path / "openalex.lock", interval=0.0),
        mailto="curators@example.org",
        timeout=0.5,
        retries=2,
        backoff=0.01,
    )
    yield client
    client.close()


@pytest.fixture
def openalex_settings(settings, openalex: OpenAlexStandin, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Point OpenAlexClient.from_settings() (runs, tasks, the command) at the stand-in."""
    settings.OPENALEX_API_URL = openalex.url
    settings.OPENALEX_MAILTO = "curators@example.org"
    settings.OPENALEX_API_KEY = ""
    settings.OPENALEX_MIN_INTERVAL = 0.0
    settings.OPENALEX_LOCK_URL = ""
    settings.OPENALEX_LOCK_FILE = tmp_path / "openalex.lock"
    settings.OPENALEX_TIMEOUT = 0.5
    settings.OPENALEX_RETRIES = 1
    settings.OPENALEX_RETRY_BACKOFF = 0.01
    return settings
