"""Fixtures for ingestion tests: the arXiv stand-in, a client pointed at it, and settings
that send the services' own clients there too."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.ingestion.arxiv.client import ArxivClient
from apps.ingestion.arxiv.politeness import FilePoliteness
from tests.ingestion.standin import Standin


@pytest.fixture
def standin() -> Iterator[Standin]:
    server = Standin().start()
    yield server
    server.stop()


@pytest.fixture
def arxiv_client(standin: Standin, tmp_path: Path) -> ArxivClient:
    """The real client against the stand-in: short timeout, tiny backoff, no spacing."""
    return ArxivClient(
        api_url=f"{standin.url}/api/query",
        oai_url=f"{standin.url}/oai",
        politeness=FilePoliteness(path=tmp_path / "arxiv.lock", interval=0.0),
        timeout=0.5,
        retries=2,
        backoff=0.01,
    )


@pytest.fixture
def arxiv_settings(settings, standin: Standin, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Point ArxivClient.from_settings() (tasks, command, admin) at the stand-in."""
    settings.ARXIV_API_URL = f"{standin.url}/api/query"
    settings.ARXIV_OAI_URL = f"{standin.url}/oai"
    settings.ARXIV_MIN_INTERVAL = 0.0
    settings.ARXIV_LOCK_URL = ""
    settings.ARXIV_LOCK_FILE = tmp_path / "arxiv.lock"
    settings.ARXIV_TIMEOUT = 0.5
    settings.ARXIV_RETRIES = 1
    return settings
