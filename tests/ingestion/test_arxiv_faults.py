"""arXiv misbehaving in the middle of a harvest — 503s, silence past the timeout, garbage —
for longer than the client retries: the run fails at that page with the reason and its
cursor, keeps the pages before it, and resuming it completes the harvest with no duplicate.
(Eager here, as in the embedded default; tests/faults/test_arxiv_worker.py has the same
through a real worker's Celery retries.)"""

import time

import pytest

from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_resume, ingest_run_start
from apps.ingestion.specs import ArxivQuerySpec
from apps.papers.models import Authorship, Paper
from tests.ingestion.standin import Standin, StandinPaper

pytestmark = pytest.mark.django_db

FAULTS = {
    # name: (how the stand-in answers page 2, what the run's message says)
    "503": (lambda: (503, b"Service Unavailable", {}), "HTTP 503"),
    "timeout": (lambda: time.sleep(0.8) or (200, b"", {}), "timed out after 0.5s"),
    "garbage": (lambda: (200, b"<html><h1>Bad gateway</h1></html>", {}), "expected an Atom"),
    "truncated": (lambda: (200, b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/20', {}),
                  "malformed or truncated XML"),
}  # fmt: skip


@pytest.mark.parametrize("fault", FAULTS)
def test_a_fault_mid_harvest_fails_the_run_at_its_cursor_and_resuming_completes(
    fault: str, arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper(f"2401.{i:05d}", f"Paper {i}", authors=[("Ada Lovelace", ""), (f"B {i}", "")])
        for i in range(1, 7)
    ]
    misbehave, reason = FAULTS[fault]
    normal = standin.answer
    broken = {"on": True}

    def answer(path, params):  # type: ignore[no-untyped-def]
        if params.get("start") == "2" and broken["on"]:
            return misbehave()
        return normal(path, params)

    standin.answer = answer  # type: ignore[method-assign]
    with django_capture_on_commit_callbacks(execute=True):
        run = ingest_run_start(spec=ArxivQuerySpec(query="x", page_size=2))
    run.refresh_from_db()

    assert run.status == IngestRun.Status.FAILED
    assert reason in run.message
    assert "arXiv unavailable after 2 attempts" in run.message  # the client asked twice
    assert run.cursor == {"start": 2}
    assert (run.seen, run.created) == (2, 2)
    assert Paper.objects.count() == 2

    broken["on"] = False  # arXiv is back
    with django_capture_on_commit_callbacks(execute=True):
        ingest_run_resume(run=run)
    run.refresh_from_db()

    assert (run.status, run.seen, run.created, run.failed) == ("succeeded", 6, 6, 0)
    assert [r.params["start"] for r in standin.requests] == ["0", "2", "2", "2", "4"]
    assert Paper.objects.values("arxiv_id").distinct().count() == Paper.objects.count() == 6
    assert Authorship.objects.count() == 12
