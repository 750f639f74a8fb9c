"""No request handler waits on arXiv: the embedded default as `make run` starts it (its own
process, a SQLite file, no broker, tasks in a background thread), with an "arXiv" that
accepts connections and never answers. Starting an ingest or a refresh answers at once; the
run shows the failure a little later."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.ingestion.standin import StandinPaper, atom_feed

ROOT = Path(__file__).resolve().parents[2]
ARXIV_TIMEOUT = 4.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """`manage.py runserver` on the embedded default; yields its URL and a curator's headers."""
    silent = socket.socket()  # listens, never accepts: requests wait for the client's timeout
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CELERY_BROKER_URL", "DATABASE_URL", "TASKS_IN_THREAD")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sellm.settings",
        SECRET_KEY="no-wait-test-only",
        DATABASE_URL=f"sqlite:///{tmp_path / 'sellm.sqlite3'}",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        ARXIV_API_URL=f"http://127.0.0.1:{silent.getsockname()[1]}/api/query",
        ARXIV_MIN_INTERVAL="0",
        ARXIV_LOCK_URL="",
        ARXIV_TIMEOUT=str(ARXIV_TIMEOUT),
        ARXIV_RETRIES="0",
        CURATOR_PASSWORD="a-long-curator-password-1",
        LOG_LEVEL="WARNING",
    )
    manage = [sys.executable, "manage.py"]

    def run(*args: str) -> str:
        done = subprocess.run(
            [*manage, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("migrate", "--noinput", "-v0")
    run("create_curator", "curator", "--no-input")
    token = run("api_token", "curator").split()[-1]
    saved = tmp_path / "paper.atom"
    saved.write_bytes(
        atom_feed([StandinPaper("2401.00001", "A paper to refresh")], total=1, start=0, per_page=1)
    )
    run("ingest_arxiv", "--from-file", str(saved))

    port = free_port()
    process = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(f"{url}/api/v1/", timeout=2)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "runserver did not start"
            time.sleep(0.2)
    try:
        yield url, {"Authorization": f"Token {token}"}
    finally:
        process.terminate()
        process.wait(timeout=20)
        silent.close()


def wait_for_finish(url: str, headers: dict[str, str], seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        run = requests.get(url, headers=headers, timeout=10).json()
        if run["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return run
        time.sleep(0.3)


def test_starting_an_ingest_or_a_refresh_answers_at_once_and_the_run_shows_the_failure(
    server: tuple[str, dict[str, str]],
) -> None:
    url, headers = server
    paper = requests.get(f"{url}/api/v1/papers/?status=inbox", headers=headers, timeout=10)
    paper_id = paper.json()["results"][0]["id"]

    for endpoint, body in (
        ("/api/v1/ingest/", {"arxiv_ids": ["2401.00002"]}),
        ("/api/v1/refresh/", {"papers": [paper_id]}),
    ):
        started = time.monotonic()
        response = requests.post(f"{url}{endpoint}", json=body, headers=headers, timeout=30)
        answered = time.monotonic() - started

        assert response.status_code == 202, response.text
        # arXiv would hold the request ARXIV_TIMEOUT seconds at least.
        assert answered < ARXIV_TIMEOUT / 2, (endpoint, answered)
        assert response.json()["status"] in ("pending", "running")
        run = wait_for_finish(response.json()["url"], headers)
        assert run["status"] == "failed", run
        assert "arXiv unavailable" in run["message"]
        assert "resume the run" in run["message"]
