"""Curators start arXiv ingestions by id and watch the runs."""

import pytest

from apps.ingestion.models import IngestRun
from apps.ingestion.specs import ArxivQuerySpec
from tests.factories import HarvestSourceFactory, IngestRunFactory

pytestmark = pytest.mark.django_db


def test_a_curator_asks_for_arxiv_ids_and_gets_a_queued_run(
    curator_api, curator_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = curator_api.post(
            "/api/v1/ingest/",
            {
                "arxiv_ids": [
                    "2401.01234",
                    "arXiv:2402.00002v3",
                    "https://arxiv.org/abs/cs/0503050",
                    "2401.01234",
                ]
            },
            format="json",
        )

    assert response.status_code == 202, response.json()
    run = IngestRun.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/ingest-runs/{run.pk}/"
    assert response.json()["url"] == response["Location"]
    assert run.kind == IngestRun.Kind.ARXIV_IDS
    assert run.parameters == {"ids": ["2401.01234", "2402.00002v3", "cs/0503050"]}
    assert run.requested_by == curator_user
    assert run.status == IngestRun.Status.PENDING
    # the worker gets the run once the row is committed
    assert len(callbacks) == 1
    follow = curator_api.get(response["Location"]).json()
    assert (follow["id"], follow["status"], follow["requested_by"]) == (run.pk, "pending", "cura")


@pytest.mark.parametrize(
    "payload",
    [
        {"arxiv_ids": []},
        {"arxiv_ids": "2401.01234"},
        {"arxiv_ids": ["2401.01234", "not an id"]},
        {"arxiv_ids": ["x" * 101]},
        {"arxiv_ids": [f"2401.{n:05d}" for n in range(1001)]},
    ],
)
def test_bad_ingest_requests_are_400_and_start_nothing(
    curator_api, payload, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = curator_api.post("/api/v1/ingest/", payload, format="json")

    assert response.status_code == 400
    assert "arxiv_ids" in response.json()["errors"]
    assert not IngestRun.objects.exists()
    assert callbacks == []


def test_a_bad_id_is_named(curator_api):
    response = curator_api.post(
        "/api/v1/ingest/", {"arxiv_ids": ["2401.01234", "nonsense"]}, format="json"
    )

    assert response.status_code == 400
    assert "Not arXiv identifiers: nonsense" in response.json()["detail"]


def test_runs_show_status_progress_counts_and_errors(curator_api):
    done = IngestRunFactory(
        status=IngestRun.Status.SUCCEEDED,
        total=4,
        seen=4,
        created=2,
        updated=1,
        failed=1,
        errors=[{"record": "arXiv 2401.00009", "reason": "no title"}],
    )
    running = IngestRunFactory(status=IngestRun.Status.RUNNING, total=10, seen=3, created=3)
    unknown = IngestRunFactory(status=IngestRun.Status.PENDING)

    rows = {row["id"]: row for row in curator_api.get("/api/v1/ingest-runs/").json()["results"]}
    detail = curator_api.get(f"/api/v1/ingest-runs/{done.pk}/").json()

    assert rows[done.pk]["progress"] == 1.0
    assert rows[running.pk]["progress"] == 0.3
    assert rows[unknown.pk]["progress"] is None
    assert detail["errors"] == [{"record": "arXiv 2401.00009", "reason": "no title"}]
    assert (detail["seen"], detail["created"], detail["updated"], detail["failed"]) == (4, 2, 1, 1)
    running_only = curator_api.get("/api/v1/ingest-runs/", {"status": "running"}).json()
    assert [row["id"] for row in running_only["results"]] == [running.pk]


def test_runs_and_ingestion_are_for_curators_only(anon, reader_api):
    run = IngestRunFactory()

    for client, code in ((anon, 401), (reader_api, 403)):
        assert client.get("/api/v1/ingest-runs/").status_code == code
        assert client.get(f"/api/v1/ingest-runs/{run.pk}/").status_code == code
        response = client.post("/api/v1/ingest/", {"arxiv_ids": ["2401.01234"]}, format="json")
        assert response.status_code == code
    assert IngestRun.objects.count() == 1


def test_a_curator_asks_for_a_query(curator_api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = curator_api.post(
            "/api/v1/ingest/",
            {"query": 'cat:cs.SE AND abs:"code review"', "max_results": 50},
            format="json",
        )

    assert response.status_code == 202, response.json()
    run = IngestRun.objects.get()
    assert run.kind == "arxiv_query"
    assert ArxivQuerySpec.from_json(run.parameters) == ArxivQuerySpec(
        query='cat:cs.SE AND abs:"code review"', max=50
    )
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"arxiv_ids": ["2401.01234"], "query": "cat:cs.SE"},
        {"query": ""},
        {"query": "cat:cs.SE", "max_results": 0},
        {"query": "cat:cs.SE", "max_results": 10_001},
    ],
)
def test_a_request_needs_ids_or_one_sensible_query(curator_api, payload):
    response = curator_api.post("/api/v1/ingest/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]
    assert not IngestRun.objects.exists()


def test_a_failed_run_resumes_from_its_cursor_and_others_are_409(
    curator_api, django_capture_on_commit_callbacks
):
    failed = IngestRunFactory(status=IngestRun.Status.FAILED, cursor={"offset": 1}, seen=1)
    running = IngestRunFactory(status=IngestRun.Status.RUNNING)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resumed = curator_api.post(f"/api/v1/ingest-runs/{failed.pk}/resume/")
        refused = curator_api.post(f"/api/v1/ingest-runs/{running.pk}/resume/")

    assert resumed.status_code == 202
    assert (resumed.json()["status"], resumed.json()["seen"]) == ("pending", 1)
    failed.refresh_from_db()
    assert (failed.status, failed.cursor) == (IngestRun.Status.PENDING, {"offset": 1})
    assert len(callbacks) == 1
    assert refused.status_code == 409
    assert "running" in refused.json()["detail"]


def test_a_curator_lists_harvest_sources_and_runs_one_now(
    curator_api, curator_user, django_capture_on_commit_callbacks
):
    source = HarvestSourceFactory(name="SE for LLMs", max_results=200)

    listed = curator_api.get("/api/v1/harvest-sources/").json()
    with django_capture_on_commit_callbacks(execute=False):
        started = curator_api.post(f"/api/v1/harvest-sources/{source.pk}/run/")
        again = curator_api.post(f"/api/v1/harvest-sources/{source.pk}/run/")

    assert [row["name"] for row in listed["results"]] == ["SE for LLMs"]
    assert listed["results"][0]["query"] == source.query
    assert started.status_code == 202
    run = IngestRun.objects.get()
    assert (run.source, run.requested_by, run.parameters["max"]) == (source, curator_user, 200)
    assert started["Location"].endswith(f"/api/v1/ingest-runs/{run.pk}/")
    assert again.status_code == 409  # one harvest of a source at a time
    assert IngestRun.objects.count() == 1


def test_harvest_sources_and_resuming_are_for_curators_only(anon, reader_api):
    source = HarvestSourceFactory()
    run = IngestRunFactory(status=IngestRun.Status.FAILED)

    for client, code in ((anon, 401), (reader_api, 403)):
        assert client.get("/api/v1/harvest-sources/").status_code == code
        assert client.post(f"/api/v1/harvest-sources/{source.pk}/run/").status_code == code
        assert client.post(f"/api/v1/ingest-runs/{run.pk}/resume/").status_code == code
    assert IngestRun.objects.count() == 1
