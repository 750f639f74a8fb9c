"""Redis (the broker and the politeness lock) killed and restarted while a real worker has a
task in flight and more waiting: with the append-only file fsynced on every write, no task
is lost; the worker reconnects and every run completes, each paper once."""

import time

import pytest

from tests.faults.services import (
    PrivatePostgres,
    PrivateRedis,
    django_env,
    django_script,
    wait_for,
)
from tests.ingestion.standin import Standin, StandinPaper

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]

START_RUNS = """
from apps.ingestion.models import HarvestSource
from apps.ingestion.services import arxiv_ids_ingest, harvest_source_run
ids = [arxiv_ids_ingest(ids=[f"2411.{i:05d}", f"2411.{i + 1:05d}"]).pk for i in (1, 3, 5)]
source = HarvestSource.objects.create(
    name="cs", kind=HarvestSource.Kind.OAI_SET, oai_set="cs", query="", enabled=True
)
print(*ids, harvest_source_run(source=source).pk)
"""


def test_no_task_is_lost_when_redis_restarts(
    private_postgres: PrivatePostgres,
    fault_database: str,
    private_redis: PrivateRedis,
    standin: Standin,
    workers,
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper(f"2411.{i:05d}", f"Broker-proof paper {i}", versions=["2026-11-20T10:00:00Z"])
        for i in range(1, 13)
    ]
    standin.oai_page_size = 4  # the harvest: three pages, each its own task
    standin.page_delay = 0.6
    env = django_env(
        database_url=private_postgres.url(fault_database),
        broker_url=private_redis.url(0),
        standin_url=standin.url,
        lock_url=private_redis.url(1),
    )
    # Four runs are sent before any worker exists: their messages wait in Redis.
    run_ids = [int(pk) for pk in django_script(START_RUNS, env).split()]
    assert len(run_ids) == 4
    workers(env)

    wait_for(lambda: len(standin.requests) >= 1, 60, "the first page to be in flight")
    private_redis.kill()  # SIGKILL: only the append-only file survives
    down_at = time.monotonic()
    time.sleep(1)
    private_redis.start()
    up_at = time.monotonic()

    def statuses() -> list[tuple]:
        return private_postgres.query(
            "SELECT id, status, seen, created, failed, message FROM ingestion_ingestrun"
            " ORDER BY id",
            fault_database,
        )

    finished = wait_for(
        lambda: all(row[1] in ("succeeded", "failed") for row in statuses()),
        90,
        "every run to end",
    )
    rows = statuses()
    assert [row[0] for row in rows] == sorted(run_ids)
    assert [row[1] for row in rows] == ["succeeded"] * 4, rows
    assert [(row[2], row[3], row[4]) for row in rows] == [(2, 2, 0)] * 3 + [(12, 6, 0)]

    def one(sql: str) -> int:
        return private_postgres.query(sql, fault_database)[0][0]

    assert one("SELECT count(*) FROM papers_paper") == 12
    assert one("SELECT count(DISTINCT arxiv_id) FROM papers_paper") == 12
    print(  # noqa: T201 - the measured figure docs/faults.md reports
        f"Redis down {up_at - down_at:.1f}s; all runs done {finished:.1f}s after it was back"
    )


@pytest.mark.parametrize("private_redis", [False], indirect=True, ids=["no-persistence"])
def test_runs_whose_messages_a_redis_restart_lost_are_recovered_by_the_sweep(
    private_postgres: PrivatePostgres,
    fault_database: str,
    private_redis: PrivateRedis,
    standin: Standin,
    workers,
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper(f"2411.{i:05d}", f"Recovered paper {i}", versions=["2026-11-20T10:00:00Z"])
        for i in range(1, 13)
    ]
    standin.oai_page_size = 4
    env = django_env(
        database_url=private_postgres.url(fault_database),
        broker_url=private_redis.url(0),
        standin_url=standin.url,
        lock_url=private_redis.url(1),
    )
    run_ids = [int(pk) for pk in django_script(START_RUNS, env).split()]
    private_redis.kill()  # without persistence, the four queued messages are gone
    private_redis.start()
    workers({**env, "INGEST_STALLED_AFTER": "0"})

    def statuses() -> list[str]:
        rows = private_postgres.query(
            "SELECT status FROM ingestion_ingestrun ORDER BY id", fault_database
        )
        return [row[0] for row in rows]

    time.sleep(2)  # the worker is up and idle: nothing reaches it
    assert statuses() == ["pending"] * 4
    assert standin.requests == []

    started = time.monotonic()
    # What beat sends every five minutes (INGEST_STALLED_AFTER is 0 for this worker).
    django_script(
        "from apps.ingestion.tasks import ingest_runs_recover_task\n"
        "ingest_runs_recover_task.delay()",
        env,
    )
    finished = wait_for(lambda: set(statuses()) == {"succeeded"}, 60, "the recovered runs")

    assert len(run_ids) == 4
    counts = private_postgres.query(
        "SELECT count(*), count(DISTINCT arxiv_id) FROM papers_paper", fault_database
    )
    assert counts == [(12, 12)]
    print(  # noqa: T201 - the measured figure docs/faults.md reports
        f"lost runs recovered {finished:.1f}s after the sweep was sent"
        f" ({time.monotonic() - started:.1f}s)"
    )
