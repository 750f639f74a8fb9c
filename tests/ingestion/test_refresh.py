"""Refresh from arXiv (issue 11): papers of the base re-fetched by arXiv id through the run
engine, from the admin, the API, `manage.py enrich` and the schedule, against the stand-in."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from apps.core.exceptions import ApplicationError
from apps.ingestion.arxiv import runs
from apps.ingestion.models import IngestRun
from apps.ingestion.services import arxiv_refresh_incomplete, arxiv_refresh_start, ingest_run_resume
from apps.ingestion.specs import ArxivRefreshSpec
from apps.papers.models import Paper
from tests.factories import PaperFactory
from tests.ingestion.standin import Scripted, Standin, StandinPaper

pytestmark = pytest.mark.django_db

FULL = StandinPaper(
    "2401.00001",
    "Testing LLM-based agents: a survey",
    versions=["2024-01-02T10:00:00Z", "2024-02-03T10:00:00Z"],
    authors=[("Ada Lovelace", ""), ("Alan Turing", ""), ("Grace Hopper", "")],
    abstract="We survey how agents built on large language models are tested.",
)


def incomplete_paper(arxiv_id: str = "2401.00001", **fields: object) -> Paper:
    """A seed-like record: one author, no date, no abstract, no arXiv version, marked."""
    values: dict = {
        "arxiv_id": arxiv_id,
        "arxiv_version": None,
        "abstract": "",
        "published_at": None,
        "year": None,
        "source": Paper.Source.SEED,
        "record_incomplete": True,
        "author_names": "Ada Lovelace",
        "authors": ["Ada Lovelace"],
        **fields,
    }
    return PaperFactory(**values)


def refresh(capture, papers: list[Paper]) -> IngestRun:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        run, _ = arxiv_refresh_start(paper_ids=[p.pk for p in papers])
    run.refresh_from_db()
    return run


def test_a_refresh_completes_an_incomplete_record_and_clears_the_mark(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    paper = incomplete_paper()

    run = refresh(django_capture_on_commit_callbacks, [paper])

    assert (run.kind, run.status, run.seen, run.updated, run.total) == (
        "arxiv_refresh",
        "succeeded",
        1,
        1,
        1,
    )
    paper.refresh_from_db()
    assert paper.author_names == "Ada Lovelace; Alan Turing; Grace Hopper"
    assert list(paper.authorships.order_by("position").values_list("author__name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
        "Grace Hopper",
    ]
    assert paper.abstract.startswith("We survey how agents")
    assert paper.published_at is not None
    assert paper.year == 2024
    assert paper.arxiv_version == 2
    assert paper.record_incomplete is False
    assert standin.requests[0].params["id_list"] == "2401.00001"


def test_a_refresh_never_overwrites_a_curators_edit(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    paper = incomplete_paper(
        title="Testing LLM agents (curated title)", curator_edited_fields=["title", "authors"]
    )

    refresh(django_capture_on_commit_callbacks, [paper])

    paper.refresh_from_db()
    assert paper.title == "Testing LLM agents (curated title)"
    assert paper.author_names == "Ada Lovelace"
    assert paper.abstract.startswith("We survey")  # what the curator did not touch is filled


def test_refreshing_twice_changes_nothing_the_second_time(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    paper = incomplete_paper()
    refresh(django_capture_on_commit_callbacks, [paper])
    paper.refresh_from_db()
    before = Paper.objects.values().get(pk=paper.pk)

    again = refresh(django_capture_on_commit_callbacks, [paper])

    assert (again.status, again.unchanged, again.updated, again.created) == ("succeeded", 1, 0, 0)
    assert Paper.objects.values().get(pk=paper.pk) == before
    assert Paper.objects.count() == 1


def test_ids_go_to_arxiv_in_id_list_batches(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(runs, "ID_PAGE_SIZE", 2)
    standin.papers = [StandinPaper(f"2401.0000{i}", f"Paper {i}") for i in range(1, 6)]
    papers = [incomplete_paper(f"2401.0000{i}") for i in range(1, 6)]

    run = refresh(django_capture_on_commit_callbacks, papers)

    assert [r.params["id_list"] for r in standin.requests] == [
        "2401.00001,2401.00002",
        "2401.00003,2401.00004",
        "2401.00005",
    ]
    assert (run.status, run.seen, run.updated, run.cursor) == ("succeeded", 5, 5, {"offset": 5})
    assert not Paper.objects.filter(record_incomplete=True).exists()


def test_a_record_arxiv_cannot_complete_keeps_its_mark_and_a_missing_id_is_reported(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper("2401.00001", "No abstract on arXiv either", abstract="")]
    thin = incomplete_paper("2401.00001")
    gone = incomplete_paper("2401.00002")

    run = refresh(django_capture_on_commit_callbacks, [thin, gone])

    assert (run.status, run.updated, run.failed) == ("succeeded", 1, 1)
    assert run.errors == [
        {"record": "arXiv 2401.00002", "reason": "arXiv returned no record for this id"}
    ]
    assert set(Paper.objects.filter(record_incomplete=True).values_list("pk", flat=True)) == {
        thin.pk,
        gone.pk,
    }


def test_papers_without_an_arxiv_id_are_left_out() -> None:
    with_id = incomplete_paper()
    without = PaperFactory(arxiv_id=None)

    with pytest.raises(ApplicationError, match="None of these papers has an arXiv id"):
        arxiv_refresh_start(paper_ids=[without.pk])
    run, skipped = arxiv_refresh_start(paper_ids=[with_id.pk, without.pk])

    assert skipped == 1
    assert ArxivRefreshSpec.from_json(run.parameters).ids == ("2401.00001",)
    assert IngestRun.objects.count() == 1


def test_a_refresh_that_cannot_reach_arxiv_fails_with_the_reason_and_resumes(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    standin.script.extend([Scripted(503), Scripted(503)])
    paper = incomplete_paper()

    run = refresh(django_capture_on_commit_callbacks, [paper])

    assert run.status == "failed"
    assert "resume the run" in run.message
    with django_capture_on_commit_callbacks(execute=True):
        ingest_run_resume(run=run)
    run.refresh_from_db()
    paper.refresh_from_db()
    assert (run.status, run.updated) == ("succeeded", 1)
    assert paper.record_incomplete is False


def test_the_schedule_refreshes_incomplete_records_once_at_a_time(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks, settings
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    marked = incomplete_paper()
    PaperFactory(record_incomplete=False)  # complete: not asked for
    PaperFactory(arxiv_id=None, record_incomplete=True)  # nothing to ask arXiv for

    with django_capture_on_commit_callbacks(execute=False) as pending:
        run = arxiv_refresh_incomplete()
        assert run is not None
        assert arxiv_refresh_incomplete() is None  # the first is still pending
    for callback in pending:
        callback()

    run.refresh_from_db()
    marked.refresh_from_db()
    assert ArxivRefreshSpec.from_json(run.parameters) == ArxivRefreshSpec(
        ids=("2401.00001",), reason="incomplete"
    )
    assert (run.status, marked.record_incomplete) == ("succeeded", False)
    with django_capture_on_commit_callbacks(execute=True):
        assert arxiv_refresh_incomplete() is None  # nothing left to refresh
    entry = settings.CELERY_BEAT_SCHEDULE["ingestion-refresh-incomplete-records"]
    assert entry["task"] == "apps.ingestion.tasks.arxiv_refresh_incomplete_task"
    assert entry["options"]["expires"] < entry["schedule"]


def test_the_admin_action_starts_a_refresh_of_the_selected_papers(
    arxiv_settings, standin: Standin, curator_client, curator, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    paper = incomplete_paper()
    no_id = PaperFactory(arxiv_id=None)
    changelist = reverse("admin:papers_paper_changelist")

    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(
            changelist,
            {"action": "refresh_from_arxiv", "_selected_action": [paper.pk, no_id.pk]},
            follow=True,
        )

    run = IngestRun.objects.get()
    content = response.content.decode()
    assert f'Started <a href="/admin/ingestion/ingestrun/{run.pk}/change/">run #{run.pk}</a>' in (
        content
    )
    assert "Left out 1 paper(s) without an arXiv id." in content
    assert (run.kind, run.requested_by, run.status) == ("arxiv_refresh", curator, "succeeded")
    paper.refresh_from_db()
    assert paper.record_incomplete is False


def test_the_api_starts_a_refresh_for_curators_only(
    arxiv_settings, standin: Standin, curator_client, client, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL]
    paper = incomplete_paper()
    url = "/api/v1/refresh/"

    assert client.post(
        url, {"papers": [paper.pk]}, content_type="application/json"
    ).status_code in (
        401,
        403,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(url, {"papers": [paper.pk]}, content_type="application/json")

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["kind"] == "arxiv_refresh"
    assert response["Location"] == body["url"]
    assert IngestRun.objects.get().status == "succeeded"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"papers": [999999]}, "No papers with ids 999999"),
        ({"papers": []}, "papers"),
        ({"papers": ["x"]}, "papers"),
        ({}, "papers"),
    ],
)
def test_the_api_refuses_bad_requests_clearly(curator_client, payload, message) -> None:  # type: ignore[no-untyped-def]
    response = curator_client.post("/api/v1/refresh/", payload, content_type="application/json")

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IngestRun.objects.exists()


def test_the_api_says_when_no_paper_has_an_arxiv_id(curator_client) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(arxiv_id=None)

    response = curator_client.post(
        "/api/v1/refresh/", {"papers": [paper.pk]}, content_type="application/json"
    )

    assert response.status_code == 400
    assert "None of these papers has an arXiv id" in response.json()["detail"]


def test_the_enrich_command_refreshes_every_paper_or_the_incomplete_ones(
    arxiv_settings, standin: Standin
) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [FULL, StandinPaper("2401.00002", "Another paper")]
    marked = incomplete_paper()
    complete = PaperFactory(arxiv_id="2401.00002", arxiv_version=1)
    out = StringIO()

    call_command("enrich", "--incomplete", stdout=out, stderr=StringIO())

    assert out.getvalue().splitlines()[-1] == "created=0 updated=1 unchanged=0 failed=0"
    assert standin.requests[-1].params["id_list"] == "2401.00001"
    marked.refresh_from_db()
    assert marked.record_incomplete is False

    out = StringIO()
    call_command(
        "enrich", "--paper", str(complete.pk), str(marked.pk), stdout=out, stderr=StringIO()
    )
    # The refreshed paper is unchanged; the other one learns its arXiv version dates.
    assert out.getvalue().splitlines()[-1] == "created=0 updated=1 unchanged=1 failed=0"
    assert standin.requests[-1].params["id_list"] == "2401.00001,2401.00002"

    out = StringIO()
    call_command("enrich", "--incomplete", stdout=out, stderr=StringIO())
    assert out.getvalue().splitlines() == [
        "no papers to enrich",
        "created=0 updated=0 unchanged=0 failed=0",
    ]
    runs_recorded = IngestRun.objects.filter(kind="arxiv_refresh").count()
    assert runs_recorded == 2


def test_the_enrich_command_refuses_bad_arguments_and_reports_a_failed_run(
    arxiv_settings, standin: Standin
) -> None:  # type: ignore[no-untyped-def]
    paper = incomplete_paper()
    with pytest.raises(CommandError, match="no papers with ids 999999"):
        call_command("enrich", "--paper", "999999", stdout=StringIO())
    with pytest.raises(CommandError, match="None of these papers has an arXiv id"):
        call_command("enrich", "--paper", str(PaperFactory(arxiv_id=None).pk), stdout=StringIO())
    assert not IngestRun.objects.exists()

    standin.script.extend([Scripted(503), Scripted(503)])
    with pytest.raises(CommandError, match=r"enrich run #\d+ failed: arXiv unavailable"):
        call_command("enrich", "--paper", str(paper.pk), stdout=StringIO(), stderr=StringIO())
    assert IngestRun.objects.get().status == "failed"
