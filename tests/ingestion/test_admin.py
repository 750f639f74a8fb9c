"""The curators' ingestion controls in the admin: run a source now, add papers by arXiv id,
read a run (counts, errors, cursor) and resume it, and the health page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.models import Paper
from tests.factories import HarvestSourceFactory, IngestRunFactory
from tests.ingestion.standin import Standin, StandinPaper

pytestmark = pytest.mark.django_db

ADD_IDS = reverse("admin:ingestion_ingestrun_add_arxiv_ids")
HEALTH = reverse("admin:ingestion_ingestrun_health")


def test_run_now_starts_a_harvest_once(
    arxiv_settings, standin: Standin, curator_client, curator, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper("2401.00001", "A"), StandinPaper("2401.00002", "B")]
    source = HarvestSourceFactory()
    changelist = reverse("admin:ingestion_harvestsource_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(
            changelist, {"action": "run_now", "_selected_action": [source.pk]}, follow=True
        )

    run = IngestRun.objects.get()
    assert b"Started 1 harvest" in response.content
    assert (run.source, run.requested_by, run.status, run.created) == (
        source,
        curator,
        "succeeded",
        2,
    )


def test_run_now_skips_a_source_that_is_already_harvesting(curator_client) -> None:  # type: ignore[no-untyped-def]
    source = HarvestSourceFactory()
    IngestRunFactory(source=source, status=IngestRun.Status.RUNNING)

    response = curator_client.post(
        reverse("admin:ingestion_harvestsource_changelist"),
        {"action": "run_now", "_selected_action": [source.pk]},
        follow=True,
    )

    assert b"Already harvesting" in response.content
    assert IngestRun.objects.count() == 1


def test_add_papers_by_arxiv_id(
    arxiv_settings, standin: Standin, curator_client, curator, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper("2401.00001", "A"), StandinPaper("cs/0503050", "Old")]
    assert curator_client.get(ADD_IDS).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(
            ADD_IDS, {"ids": "2401.00001,\nhttps://arxiv.org/abs/cs/0503050v1"}
        )

    run = IngestRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:ingestion_ingestrun_change", args=[run.pk])
    assert run.parameters == {"ids": ["2401.00001", "cs/0503050v1"]}
    assert (run.status, run.created, run.requested_by) == ("succeeded", 2, curator)
    assert Paper.objects.filter(status="inbox").count() == 2


def test_add_papers_by_arxiv_id_refuses_bad_ids_with_a_message(curator_client) -> None:  # type: ignore[no-untyped-def]
    response = curator_client.post(ADD_IDS, {"ids": "2401.00001 banana"})

    assert response.status_code == 200
    assert "Not arXiv identifiers: banana" in response.content.decode()
    assert IngestRun.objects.count() == 0


def test_a_run_page_shows_counts_errors_cursor_and_resumes(
    arxiv_settings, standin: Standin, curator_client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper("2401.00002", "B")]
    run = IngestRunFactory(
        kind="arxiv_ids",
        parameters={"ids": ["2401.00001", "2401.00002"]},
        status=IngestRun.Status.FAILED,
        message="arXiv unavailable after 5 attempts: HTTP 503",
        cursor={"offset": 1},
        seen=1,
        failed=1,
        total=2,
        errors=[{"record": "arXiv 2401.00001", "reason": "arXiv returned no record for this id"}],
    )
    page = curator_client.get(reverse("admin:ingestion_ingestrun_change", args=[run.pk]))
    content = page.content.decode()

    assert page.status_code == 200
    assert "arXiv returned no record for this id" in content
    assert "&quot;offset&quot;: 1" in content
    assert "1 of 2 records (50%)" in content
    assert "Resume from cursor" in content

    with django_capture_on_commit_callbacks(execute=True):
        resumed = curator_client.post(reverse("admin:ingestion_ingestrun_resume", args=[run.pk]))

    run.refresh_from_db()
    assert resumed.status_code == 302
    assert (run.status, run.seen, run.created, run.cursor) == ("succeeded", 2, 1, {"offset": 2})
    assert [r.params["id_list"] for r in standin.requests] == ["2401.00002"]


def test_resume_is_post_only_and_for_failed_runs(curator_client) -> None:  # type: ignore[no-untyped-def]
    run = IngestRunFactory(status=IngestRun.Status.SUCCEEDED)
    url = reverse("admin:ingestion_ingestrun_resume", args=[run.pk])

    assert curator_client.get(url).status_code == 405
    curator_client.post(url)

    run.refresh_from_db()
    assert run.status == "succeeded"


def test_health_page_shows_lag_failures_and_recent_runs(curator_client) -> None:  # type: ignore[no-untyped-def]
    now = timezone.now()
    fresh = HarvestSourceFactory(name="fresh", interval=timedelta(days=1))
    stale = HarvestSourceFactory(name="stale", interval=timedelta(hours=1))
    HarvestSourceFactory(name="never")
    IngestRunFactory(source=fresh, status="succeeded", finished_at=now - timedelta(hours=2))
    IngestRunFactory(source=stale, status="succeeded", finished_at=now - timedelta(days=3))
    IngestRunFactory(source=stale, status="failed", message="arXiv says: nope")

    response = curator_client.get(HEALTH)
    content = response.content.decode()

    assert response.status_code == 200
    assert "arXiv says: nope" in content
    assert "1 failed" in content
    assert (
        content.count('class="overdue"') == 2
    )  # stale (3 days > twice its 1-hour interval) and never
    assert "3\xa0days" in content
    assert content.count('class="run-row"') == 3


def test_health_page_queries_do_not_grow_with_rows(curator_client) -> None:  # type: ignore[no-untyped-def]
    def build(n: int) -> None:
        for _ in range(n):
            source = HarvestSourceFactory()
            IngestRunFactory(source=source, status="succeeded", finished_at=timezone.now())
            IngestRunFactory(source=source, status="failed", message="x")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert curator_client.get(HEALTH).status_code == 200
        return len(captured)

    build(5)
    with_5 = queries()
    build(45)

    assert queries() == with_5


def test_ingestion_pages_need_a_curator(client, django_user_model) -> None:  # type: ignore[no-untyped-def]
    run = IngestRunFactory(status="failed")
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)

    assert client.get(HEALTH).status_code == 302
    client.force_login(staff)  # staff but not a curator: no ingestion permissions

    assert client.get(HEALTH).status_code == 403
    assert client.get(ADD_IDS).status_code == 403
    assert (
        client.post(reverse("admin:ingestion_ingestrun_resume", args=[run.pk])).status_code == 403
    )
    assert HarvestSource.objects.count() == 0
