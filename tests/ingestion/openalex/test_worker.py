"""A real Celery worker on Redis carries out an OpenAlex run against the stand-in: one batch
per task, an outage longer than the client's retries retried by Celery, then the whole run
lands once — no double counts, links between the papers."""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator

import pytest
from django.db import connection

from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.services import openalex_enrich_start
from apps.papers.models import Citation, Paper
from tests.conftest import port_open, require_service
from tests.factories import PaperFactory
from tests.ingestion.openalex.standin import OpenAlexStandin, work
from tests.ingestion.standin import Scripted
from tests.ingestion.test_worker import ROOT, redis_db, send_to_broker, wait_for

BROKER_URL = "redis://127.0.0.1:6379/5"
LOCK_URL = "redis://127.0.0.1:6379/4"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def broker() -> Iterator[str]:
    require_service("Redis", port_open("127.0.0.1", 6379), "127.0.0.1:6379")
    redis_db(BROKER_URL).flushdb()
    redis_db(LOCK_URL).flushdb()
    yield BROKER_URL
    redis_db(BROKER_URL).flushdb()
    redis_db(LOCK_URL).flushdb()


@pytest.fixture
def worker(broker: str, openalex: OpenAlexStandin) -> Iterator[Callable[[], subprocess.Popen]]:
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
        "OPENALEX_API_URL": openalex.url,
        "OPENALEX_MAILTO": "curators@example.org",
        "OPENALEX_MIN_INTERVAL": "0.05",
        "OPENALEX_LOCK_URL": LOCK_URL,
        "OPENALEX_TIMEOUT": "1",
        "OPENALEX_RETRIES": "1",
        "OPENALEX_RETRY_BACKOFF": "0.05",
        "LOG_LEVEL": "WARNING",
    }
    processes: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
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
            start_new_session=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_a_worker_enriches_batch_by_batch_through_an_outage(  # type: ignore[no-untyped-def]
    openalex: OpenAlexStandin, broker: str, worker, monkeypatch
) -> None:
    papers = [PaperFactory(arxiv_id=f"2401.{n:05d}", doi=None) for n in range(1, 111)]
    openalex.works = [
        work(n, doi=f"10.48550/arXiv.2401.{n:05d}", cited_by=n, references=[n + 1, 90000])
        for n in range(1, 111)
    ]
    # Down for longer than the client retries (two attempts): Celery retries the batch.
    openalex.script.extend([Scripted(503, b"down"), Scripted(503, b"down")])
    send_to_broker(monkeypatch, broker)

    run = openalex_enrich_start()
    worker()
    wait_for(lambda: IngestRun.objects.get(pk=run.pk).is_finished, 90, "the run to finish")

    run.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED, run.message
    assert (run.total, run.seen, run.updated, run.failed) == (110, 110, 110, 0)
    filters = [r.params["filter"].count("|") + 1 for r in openalex.lookups()]
    assert filters == [50, 50, 50, 50, 10]  # two refused, then one batch per task
    assert Paper.objects.filter(openalex_id__isnull=False).count() == 110
    assert Citation.objects.count() == 109  # each cites the next; the last cites none in sellm
    assert Paper.objects.get(pk=papers[0].pk).references_outside == 1
