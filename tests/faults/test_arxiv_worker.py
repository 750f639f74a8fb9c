"""arXiv down in the middle of a harvest, through a real worker: the client retries, Celery
retries the page with backoff, and after the last retry the run fails with the reason and its
cursor; resumed once arXiv is back, it completes with no duplicate."""

import pytest

from apps.ingestion.tasks import MAX_RETRIES
from tests.faults.services import (
    PrivatePostgres,
    PrivateRedis,
    django_env,
    django_script,
    wait_for,
)
from tests.ingestion.standin import Standin, StandinPaper

pytestmark = [pytest.mark.postgres, pytest.mark.celery_worker]


def test_celery_retries_a_page_then_fails_the_run_resumably(
    private_postgres: PrivatePostgres,
    fault_database: str,
    private_redis: PrivateRedis,
    standin: Standin,
    workers,
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper(f"2401.{i:05d}", f"Paper {i}") for i in range(1, 7)]
    normal = standin.answer
    arxiv_down = {"on": True}

    def answer(path, params):  # type: ignore[no-untyped-def]
        if params.get("start") == "2" and arxiv_down["on"]:
            return 503, b"Service Unavailable", {}
        return normal(path, params)

    standin.answer = answer  # type: ignore[method-assign]
    env = django_env(
        database_url=private_postgres.url(fault_database),
        broker_url=private_redis.url(0),
        standin_url=standin.url,
        lock_url=private_redis.url(1),
    )
    workers(env)
    start = """
from apps.ingestion.services import ingest_run_start
from apps.ingestion.specs import ArxivQuerySpec
print(ingest_run_start(spec=ArxivQuerySpec(query="x", page_size=2)).pk)
"""
    run_id = int(django_script(start, env))

    def run_row() -> tuple:
        return private_postgres.query(
            "SELECT status, cursor, seen, created, message FROM ingestion_ingestrun"  # noqa: S608
            f" WHERE id = {run_id}",
            fault_database,
        )[0]

    gave_up = wait_for(lambda: run_row()[0] == "failed", 60, "the run to fail")
    _, cursor, seen, created, message = run_row()
    assert message.startswith(f"gave up after {MAX_RETRIES} retries: arXiv unavailable after 2")
    assert "HTTP 503" in message
    assert (cursor, seen, created) == ({"start": 2}, 2, 2)
    asked = [r.params["start"] for r in standin.requests]
    assert asked.count("2") == (MAX_RETRIES + 1) * 2  # each Celery try: two client attempts
    first_503 = next(r.at for r in standin.requests if r.params["start"] == "2")
    last_503 = [r.at for r in standin.requests if r.params["start"] == "2"][-1]

    arxiv_down["on"] = False
    resume = f"""
from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_resume
ingest_run_resume(run=IngestRun.objects.get(pk={run_id}))
"""
    django_script(resume, env)
    wait_for(lambda: run_row()[0] == "succeeded", 60, "the resumed run to succeed")

    _, cursor, seen, created, message = run_row()
    assert (cursor, seen, created, message) == ({"start": 6}, 6, 6, "")
    assert private_postgres.query(
        "SELECT count(*), count(DISTINCT arxiv_id) FROM papers_paper", fault_database
    ) == [(6, 6)]
    print(  # noqa: T201 - the measured figure docs/faults.md reports
        f"arXiv 503 at page 2: {MAX_RETRIES} Celery retries over {last_503 - first_503:.1f}s;"
        f" run failed {gave_up:.1f}s after it started"
    )
