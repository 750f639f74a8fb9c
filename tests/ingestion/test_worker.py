"""A real Celery worker on Redis harvests from the stand-in, is killed (SIGKILL) mid-run, and
a second worker completes the run after redelivery — with no duplicate and no double count."""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.services import harvest_source_run
from apps.papers.models import Paper
from tests.conftest import port_open, require_service
from tests.factories import HarvestSourceFactory
from tests.ingestion.standin import Scripted, Standin, StandinPaper

ROOT = Path(__file__).resolve().parents[2]
BROKER_URL = "redis://127.0.0.1:6379/5"
LOCK_URL = "redis://127.0.0.1:6379/4"
TASK = "apps.ingestion.tasks.ingest_run_execute"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


def redis_db(url: str):  # type: ignore[no-untyped-def]
    import redis

    return redis.Redis.from_url(url)


@pytest.fixture
def broker() -> Iterator[str]:
    require_service("Redis", port_open("127.0.0.1", 6379), "127.0.0.1:6379")
    redis_db(BROKER_URL).flushdb()  # database 5 is this test's own broker
    yield BROKER_URL
    redis_db(BROKER_URL).flushdb()


@pytest.fixture
def start_worker(broker: str, standin: Standin) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start real `celery worker` processes (each in its own process group) on the test
    database; every one still alive at the end is killed."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.ingestion.worker_settings",
        "SECRET_KEY": "worker-test-secret",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": broker,
        "ARXIV_API_URL": f"{standin.url}/api/query",
        "ARXIV_OAI_URL": f"{standin.url}/oai",
        "ARXIV_MIN_INTERVAL": "0.05",
        "ARXIV_LOCK_URL": LOCK_URL,
        "ARXIV_TIMEOUT": "1",
        "ARXIV_RETRIES": "1",
        "LOG_LEVEL": "WARNING",
    }
    if database.get("PASSWORD"):
        env["DATABASE_URL"] = env["DATABASE_URL"].replace(
            f"//{database['USER']}@", f"//{database['USER']}:{database['PASSWORD']}@"
        )
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sellm",
                "worker",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "WARNING",
                "--hostname",
                f"test-{uuid.uuid4().hex[:8]}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own process group: SIGKILL takes the pool child too
        )
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def send_to_broker(monkeypatch, broker: str) -> None:  # type: ignore[no-untyped-def]
    """Make this (brokerless, eager) test process publish the task to Redis instead."""
    from celery import Celery

    sender = Celery("test-sender", broker=broker)
    monkeypatch.setattr(
        "apps.ingestion.services.task_send",
        lambda name, args: sender.send_task(name, args=list(args)),
    )


def test_a_killed_worker_is_replaced_and_the_run_completes_without_duplicates(
    standin: Standin, broker: str, start_worker, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper(f"2411.{i:05d}", f"Harvested paper {i}", versions=["2026-11-20T10:00:00Z"])
        for i in range(1, 13)
    ]
    standin.oai_page_size = 3  # four pages, four tasks
    # 2 refused + page 1, then page 2: held in flight until the worker is dead.
    page_2 = standin.hold("/oai", 4)
    standin.response_date = "2026-11-24T06:00:00Z"
    # Once, arXiv is unavailable for longer than the client retries: Celery retries the task.
    standin.script.extend([Scripted(503, path="/oai"), Scripted(503, path="/oai")])
    source = HarvestSourceFactory(kind=HarvestSource.Kind.OAI_SET, oai_set="cs", query="")
    send_to_broker(monkeypatch, broker)

    run = harvest_source_run(source=source)
    assert run is not None
    first = start_worker()

    wait_for(page_2.arrived.is_set, 60, "the worker to ask for page 2")
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    page_2.release.set()  # the answer now goes to a dead connection
    run.refresh_from_db()
    assert run.status == IngestRun.Status.RUNNING
    assert run.cursor["pages"] == 1  # page 2 was never written
    assert Paper.objects.count() == 3

    start_worker()
    wait_for(
        lambda: IngestRun.objects.get(pk=run.pk).is_finished, 90, "the second worker to finish"
    )

    run.refresh_from_db()
    source.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED, run.message
    assert (run.seen, run.created, run.unchanged, run.failed) == (12, 12, 0, 0)
    assert Paper.objects.count() == 12
    assert Paper.objects.values("arxiv_id").distinct().count() == 12
    asked = [r.params.get("resumptionToken", "first") for r in standin.requests_to("/oai")]
    assert asked.count("page-3") == 2  # the killed page was asked again after redelivery
    assert asked.count("first") == 3  # two 503s, then the first page
    assert source.harvested_until is not None
    assert source.harvested_until.isoformat().startswith("2026-11-24T06:00:00")
