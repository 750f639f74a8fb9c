"""A large BibTeX upload imported by a real Celery worker on the real broker (Redis).

The worker is another process: it reads the test database, so this runs in the PostgreSQL
pass only, with committed data (transactional test)."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from apps.ingestion.bibtex.services import bibtex_import_start
from apps.ingestion.models import IngestRun
from apps.papers.models import Paper
from sellm.celery import app
from tests.conftest import port_open, require_service
from tests.ingestion.test_bibtex_import import big_file

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]

ROOT = Path(__file__).resolve().parents[2]
BROKER = "redis://127.0.0.1:6379/7"  # the Redis database this work may use


@pytest.fixture
def worker(settings, tmp_path: Path) -> Iterator[subprocess.Popen]:  # type: ignore[no-untyped-def]
    """A `celery worker` process on Redis, reading the test database; the test process
    sends its tasks there instead of running them in-process."""
    require_service("Redis", port_open("127.0.0.1", 6379), "start redis-server on 6379")
    redis.Redis.from_url(BROKER).flushdb()
    database = settings.DATABASES["default"]
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{database['USER']}{password}@{database['HOST']}:{database['PORT']}"
            f"/{database['NAME']}"
        ),
        "CELERY_BROKER_URL": BROKER,
        "SECRET_KEY": "worker-test-only",
        "DJANGO_SETTINGS_MODULE": "sellm.settings",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "sellm", "worker", "--pool=solo", "-l", "INFO"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager, app.conf.broker_url = False, BROKER
    forget_broker_connections()
    try:
        yield process
    finally:
        app.conf.task_always_eager, app.conf.broker_url = saved
        forget_broker_connections()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        redis.Redis.from_url(BROKER).flushdb()


def forget_broker_connections() -> None:
    """Drop Celery's cached producer pools: eager tasks sent earlier in this process opened
    them on the in-memory broker, and they would keep sending there."""
    app._pool = None
    app.amqp._producer_pool = None


def wait_for(run_id: int, seconds: float = 120) -> IngestRun:
    deadline = time.monotonic() + seconds
    while True:
        run = IngestRun.objects.get(pk=run_id)
        if run.is_finished or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


def test_a_real_worker_imports_a_large_upload_chunk_by_chunk(worker, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_SYNC_MAX_ENTRIES = 10

    upload, report = bibtex_import_start(data=big_file(700))  # committed: the task is sent

    assert report is None
    run = wait_for(upload.run_id)
    assert run.status == IngestRun.Status.SUCCEEDED, (run.status, run.message)
    assert (run.seen, run.created, run.failed, run.cursor) == (700, 700, 0, {"next": 700})
    assert Paper.objects.filter(source=Paper.Source.BIBTEX).count() == 700
    assert worker.poll() is None  # still serving
