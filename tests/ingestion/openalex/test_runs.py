"""OpenAlex enrichment as a recorded run (`manage.py enrich --source openalex`), against the
real stand-in server and on saved answers: batching, retries, unknown DOIs, citation links
in both directions, idempotent re-runs, curators' edits."""

import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.services import openalex_enrich_start, openalex_refresh_due
from apps.ingestion.openalex.specs import OpenAlexSpec
from apps.ingestion.services import ingest_run_resume
from apps.ingestion.specs import SpecError
from apps.papers.models import Citation, Paper
from apps.papers.services import paper_update
from tests.factories import AuthorFactory, PaperFactory
from tests.ingestion.openalex.standin import OpenAlexStandin, list_page, work
from tests.ingestion.standin import Scripted

pytestmark = pytest.mark.django_db


def enrich(*args: str) -> str:
    out = io.StringIO()
    call_command("enrich", "--source", "openalex", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def arxiv_paper(n: int, **fields) -> Paper:  # type: ignore[no-untyped-def]
    return PaperFactory(arxiv_id=f"2401.{n:05d}", doi=None, venue="", **fields)


def arxiv_work(n: int, **fields) -> dict:  # type: ignore[no-untyped-def]
    return work(n, doi=f"10.48550/arXiv.2401.{n:05d}", **fields)


def test_papers_are_asked_fifty_dois_at_a_time_and_a_rerun_changes_nothing(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin
) -> None:
    papers = [arxiv_paper(n) for n in range(1, 61)]
    openalex.works = [arxiv_work(n, cited_by=n) for n in range(1, 59)]  # 59 and 60: unknown

    first = enrich()
    second = enrich()

    assert first == "created=0 updated=58 unchanged=0 failed=2"
    assert second == "created=0 updated=0 unchanged=58 failed=2"
    sizes = [len(r.params["filter"].removeprefix("doi:").split("|")) for r in openalex.lookups()]
    assert sizes == [50, 10, 50, 10]
    run = IngestRun.objects.filter(kind="openalex").first()
    assert run is not None
    assert (run.status, run.total, run.seen) == ("succeeded", 60, 60)
    assert [e["reason"] for e in run.errors] == ["OpenAlex has no work with this DOI"] * 2
    assert f"paper #{papers[58].pk} (DOI 10.48550/arxiv.2401.00059)" == run.errors[0]["record"]
    assert Paper.objects.get(pk=papers[9].pk).cited_by_count == 10
    assert Paper.objects.get(pk=papers[59].pk).enriched_at is None


def test_a_published_paper_asks_both_its_dois_and_takes_the_published_work(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin
) -> None:
    paper = PaperFactory(arxiv_id="2308.10620", doi="10.1145/3695988", venue="")
    openalex.works = [
        work(
            1, doi="10.48550/arXiv.2308.10620", cited_by=300, venue="arXiv", venue_type="repository"
        ),
        work(2, doi="10.1145/3695988", cited_by=900, venue="ACM TOSEM"),
    ]

    assert enrich("--paper", str(paper.pk)) == "created=0 updated=1 unchanged=0 failed=0"

    (sent,) = openalex.lookups()
    assert sent.params["filter"] == "doi:10.1145/3695988|10.48550/arxiv.2308.10620"
    paper.refresh_from_db()
    assert (paper.openalex_id, paper.cited_by_count, paper.venue) == ("W2", 900, "ACM TOSEM")


def test_citations_appear_whichever_paper_is_enriched_first(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin
) -> None:
    citing, cited, other = arxiv_paper(1), arxiv_paper(2), arxiv_paper(3)
    openalex.works = [
        arxiv_work(1, references=[2, 3, 9001, 9002]),  # two in the base, two outside
        arxiv_work(2, references=[]),
        arxiv_work(3, references=[1]),
    ]

    enrich("--paper", str(citing.pk))
    citing.refresh_from_db()
    assert citing.references_outside == 4
    assert not Citation.objects.exists()

    assert enrich("--paper", str(cited.pk), str(other.pk)) == (
        "created=0 updated=2 unchanged=0 failed=0"
    )

    citing.refresh_from_db()
    pairs = set(Citation.objects.values_list("citing", "cited"))
    assert pairs == {(citing.pk, cited.pk), (citing.pk, other.pk), (other.pk, citing.pk)}
    assert citing.references_outside == 2
    assert enrich() == "created=0 updated=0 unchanged=3 failed=0"
    assert set(Citation.objects.values_list("citing", "cited")) == pairs


def test_429_and_503_are_retried_within_the_run(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin
) -> None:
    openalex_settings.OPENALEX_RETRIES = 2
    paper = arxiv_paper(1)
    openalex.works = [arxiv_work(1, cited_by=7)]
    openalex.script.append(Scripted(429, b"slow down", headers={"Retry-After": "0"}))
    openalex.script.append(Scripted(503, b"<html>busy</html>"))

    assert enrich() == "created=0 updated=1 unchanged=0 failed=0"

    assert len(openalex.lookups()) == 3
    paper.refresh_from_db()
    assert paper.cited_by_count == 7


def test_openalex_down_fails_the_run_with_the_reason(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin
) -> None:
    arxiv_paper(1)
    for _ in range(2):
        openalex.script.append(Scripted(503, b"down"))

    with pytest.raises(CommandError, match="OpenAlex unavailable after 2 attempts: HTTP 503"):
        enrich()

    run = IngestRun.objects.get(kind="openalex")
    assert run.status == "failed"
    assert run.cursor == {}  # resumable from the start


def test_a_saved_single_work_and_a_saved_list_page(tmp_path: Path) -> None:
    one, two, three = arxiv_paper(1), arxiv_paper(2), arxiv_paper(3)
    paper_update(paper=two, data={"venue": "Curated venue"})
    single = tmp_path / "work.json"
    single.write_text(json.dumps(arxiv_work(1, cited_by=4, references=[2])))
    page = tmp_path / "page.json"
    page.write_text(
        json.dumps(
            list_page(
                [
                    arxiv_work(2, venue="ICSE"),
                    arxiv_work(3, cited_by=1),
                    work(77, doi="10.1234/none"),
                ],
                next_cursor="abc",
            )
        )
    )

    assert enrich("--from-file", str(single)) == "created=0 updated=1 unchanged=0 failed=0"
    assert enrich("--from-file", str(page)) == "created=0 updated=2 unchanged=0 failed=1"
    assert enrich("--from-file", str(page)) == "created=0 updated=0 unchanged=2 failed=1"

    one.refresh_from_db()
    two.refresh_from_db()
    three.refresh_from_db()
    assert (one.openalex_id, one.cited_by_count) == ("W1", 4)
    assert one.cited_by_as_of.isoformat() == "2026-11-30"  # the work's updated_date
    assert two.venue == "Curated venue"
    assert three.openalex_id == "W3"
    assert list(Citation.objects.values_list("citing", "cited")) == [(one.pk, two.pk)]
    run = IngestRun.objects.filter(kind="openalex").first()
    assert run is not None
    assert run.errors == [
        {
            "record": "OpenAlex W77 (DOI 10.1234/none)",
            "reason": "no paper of sellm has this DOI or OpenAlex id",
        }
    ]


def test_a_saved_file_that_is_not_openalex_fails_clearly(tmp_path: Path) -> None:
    arxiv_paper(1)
    html = tmp_path / "404.html"
    html.write_text("<html>Not Found</html>")

    with pytest.raises(CommandError, match="not JSON"):
        enrich("--from-file", str(html))
    with pytest.raises(CommandError, match="no such file"):
        enrich("--from-file", str(tmp_path / "missing.json"))
    assert IngestRun.objects.get().status == "failed"


def test_bad_options_are_refused(tmp_path: Path) -> None:
    bare = PaperFactory(arxiv_id=None, doi=None)
    with pytest.raises(CommandError, match="reads the whole answer"):
        enrich("--from-file", str(tmp_path / "x.json"), "--paper", str(bare.pk))
    with pytest.raises(CommandError, match="none of these papers has a DOI or an arXiv id"):
        enrich("--paper", str(bare.pk))
    with pytest.raises(CommandError, match="add --source openalex"):
        call_command("enrich", "--from-file", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="no papers with ids 999"):
        enrich("--paper", "999")
    assert not IngestRun.objects.exists()


def test_the_periodic_refresh_takes_the_papers_not_enriched_lately(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin, django_capture_on_commit_callbacks
) -> None:
    openalex_settings.OPENALEX_REFRESH_DAYS = 30
    now = timezone.now()
    old, fresh, never = arxiv_paper(1), arxiv_paper(2), arxiv_paper(3)
    Paper.objects.filter(pk=old.pk).update(enriched_at=now - timedelta(days=40))
    Paper.objects.filter(pk=fresh.pk).update(enriched_at=now - timedelta(days=2))
    openalex.works = [arxiv_work(n, cited_by=n) for n in (1, 2, 3)]

    with django_capture_on_commit_callbacks(execute=True):
        run = openalex_refresh_due()

    assert run is not None
    run.refresh_from_db()
    assert (run.status, run.updated) == ("succeeded", 2)
    assert (run.parameters["stale_days"], run.parameters["reason"]) == (30, "schedule")
    (sent,) = openalex.lookups()
    assert sent.params["filter"] == "doi:10.48550/arxiv.2401.00001|10.48550/arxiv.2401.00003"
    assert Paper.objects.get(pk=fresh.pk).cited_by_count is None
    assert Paper.objects.get(pk=never.pk).cited_by_count == 3


def test_the_periodic_refresh_waits_for_a_run_in_progress(openalex_settings) -> None:  # type: ignore[no-untyped-def]
    IngestRun.objects.create(kind="openalex", status="running", parameters={})

    assert openalex_refresh_due() is None
    openalex_settings.OPENALEX_REFRESH_DAYS = 0
    IngestRun.objects.all().delete()
    assert openalex_refresh_due() is None
    assert not IngestRun.objects.exists()


def test_starting_a_run_for_chosen_papers(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin, curator, django_capture_on_commit_callbacks
) -> None:
    chosen, other = arxiv_paper(1), arxiv_paper(2)
    openalex.works = [arxiv_work(1), arxiv_work(2)]

    with django_capture_on_commit_callbacks(execute=True):
        run = openalex_enrich_start(paper_ids=[chosen.pk, chosen.pk], requested_by=curator)

    run.refresh_from_db()
    assert (run.status, run.parameters["paper_ids"], run.requested_by) == (
        "succeeded",
        [chosen.pk],
        curator,
    )
    assert Paper.objects.get(pk=chosen.pk).openalex_id == "W1"
    assert Paper.objects.get(pk=other.pk).openalex_id is None
    assert chosen.history.first().history_user == curator
    with pytest.raises(ApplicationError, match="Select at least one paper"):
        openalex_enrich_start(paper_ids=[])
    bare = PaperFactory(arxiv_id=None, doi=None)
    with pytest.raises(ApplicationError, match="has a DOI or an arXiv id"):
        openalex_enrich_start(paper_ids=[bare.pk])


def test_a_run_stopped_by_an_outage_resumes_from_its_cursor(  # type: ignore[no-untyped-def]
    openalex_settings, openalex: OpenAlexStandin, django_capture_on_commit_callbacks
) -> None:
    papers = [arxiv_paper(n) for n in range(1, 61)]
    openalex.works = [arxiv_work(n, cited_by=1) for n in range(1, 61)]
    openalex.down_after = 1  # the first batch is answered, then OpenAlex is down

    with pytest.raises(CommandError, match=r"HTTP 503 from .* \(resume the run to try again\)"):
        enrich()

    run = IngestRun.objects.get(kind="openalex")
    assert (run.status, run.cursor, run.updated) == ("failed", {"after": papers[49].pk}, 50)
    openalex.down_after = None
    asked_before = len(openalex.lookups())

    with django_capture_on_commit_callbacks(execute=True):
        ingest_run_resume(run=run)

    run.refresh_from_db()
    assert (run.status, run.seen, run.updated) == ("succeeded", 60, 60)
    resumed = openalex.lookups()[asked_before:]
    assert [len(r.params["filter"].split("|")) for r in resumed] == [10]
    assert Paper.objects.filter(openalex_id__isnull=False).count() == 60


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"paper_ids": "12"}, "paper_ids must be a list"),
        ({"paper_ids": [0]}, "positive integers"),
        ({"stale_days": -1}, "stale_days must be"),
        ({"path": "/x.json", "paper_ids": [1]}, "read whole"),
        ({"color": "red"}, "unknown color"),
    ],
)
def test_bad_parameters_are_refused(parameters: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        OpenAlexSpec.from_json(parameters)


def test_beat_sends_the_daily_openalex_refresh(openalex_settings) -> None:  # type: ignore[no-untyped-def]
    from django.conf import settings

    from apps.ingestion.tasks import openalex_refresh_due_task

    entry = settings.CELERY_BEAT_SCHEDULE["ingestion-openalex-refresh"]
    assert entry["task"] == openalex_refresh_due_task.name
    assert entry["options"]["expires"] < entry["schedule"]
    IngestRun.objects.create(kind="openalex", status="running", parameters={})
    assert openalex_refresh_due_task() == 0


def test_a_date_from_openalex_completes_a_record_marked_incomplete(tmp_path: Path) -> None:
    paper = PaperFactory(
        arxiv_id=None, doi="10.1145/1", published_at=None, year=None, record_incomplete=True
    )
    paper.authorships.create(author=AuthorFactory(), position=0)
    answer = tmp_path / "work.json"
    answer.write_text(json.dumps(work(5, doi="10.1145/1", publication_date="2023-05-04")))

    enrich("--from-file", str(answer))

    paper.refresh_from_db()
    assert paper.published_at is not None
    assert paper.record_incomplete is False


def test_a_doi_stored_with_capitals_is_matched(
    openalex_settings, openalex: OpenAlexStandin
) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(arxiv_id=None, doi="10.1145/abc")
    Paper.objects.filter(pk=paper.pk).update(doi="10.1145/ABC")  # as a hand edit may leave it
    openalex.works = [work(8, doi="10.1145/ABC", cited_by=2)]  # OpenAlex writes it lower-cased

    assert enrich() == "created=0 updated=1 unchanged=0 failed=0"

    (sent,) = openalex.lookups()
    assert sent.params["filter"] == "doi:10.1145/abc"
    paper.refresh_from_db()
    assert (paper.openalex_id, paper.doi) == ("W8", "10.1145/ABC")


def test_incomplete_selects_the_papers_marked_so(
    openalex_settings, openalex: OpenAlexStandin
) -> None:  # type: ignore[no-untyped-def]
    marked = arxiv_paper(1, record_incomplete=True)
    arxiv_paper(2)
    openalex.works = [arxiv_work(1), arxiv_work(2)]

    assert enrich("--incomplete") == "created=0 updated=1 unchanged=0 failed=0"

    (sent,) = openalex.lookups()
    assert sent.params["filter"] == "doi:10.48550/arxiv.2401.00001"
    marked.refresh_from_db()
    assert marked.openalex_id == "W1"
