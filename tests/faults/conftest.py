"""Fixtures of the fault tests: a private PostgreSQL cluster (one per session, a fresh
migrated database per test), a private Redis per test, the arXiv stand-in, and workers that
are always killed at the end."""

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import require_service
from tests.faults.services import (
    ROOT,
    PrivatePostgres,
    PrivateRedis,
    kill_worker,
    start_worker,
)
from tests.ingestion.standin import Standin

TEMPLATE = "sellm_faults_template"


@pytest.fixture(scope="session")
def private_postgres() -> Iterator[PrivatePostgres]:
    """A cluster of our own with a migrated template database to clone."""
    require_service("PostgreSQL binaries", PrivatePostgres.available(), "install postgresql")
    server = PrivatePostgres().init()
    server.start()
    try:
        server.execute(f'CREATE DATABASE "{TEMPLATE}"')
        migrate = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "tests.settings",
                "DATABASE_URL": server.url(TEMPLATE),
            },
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        yield server
    finally:
        server.destroy()


@pytest.fixture
def fault_database(private_postgres: PrivatePostgres) -> Iterator[str]:
    """A fresh migrated database on the private cluster; its name."""
    name = f"sellm_faults_{uuid.uuid4().hex[:8]}"
    private_postgres.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    yield name
    private_postgres.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def private_redis(request: pytest.FixtureRequest) -> Iterator[PrivateRedis]:
    """A Redis of our own, persistent unless the test is parametrized indirectly with False."""
    require_service("redis-server", PrivateRedis.available(), "install redis-server")
    server = PrivateRedis(persistent=getattr(request, "param", True))
    server.start()
    yield server
    server.destroy()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Callable[[dict], subprocess.Popen]]:
    """Start real Celery workers with an environment; each is killed at the end, and its log
    is printed if the test failed (pytest shows captured output then)."""
    started: list[subprocess.Popen] = []
    log = tmp_path / "workers.log"

    def start(env: dict) -> subprocess.Popen:
        worker = start_worker(env, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        kill_worker(worker)
    if log.exists():
        print(log.read_text()[-6000:])  # noqa: T201


@pytest.fixture
def standin() -> Iterator[Standin]:
    server = Standin().start()
    yield server
    server.stop()
