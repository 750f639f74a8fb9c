"""The same field limits on every way in (apps/papers/limits.py): an entry over one fails
alone, reported with the reason, and the rest lands."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from apps.ingestion.bibtex.services import bibtex_import
from apps.ingestion.engine import run_execute
from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_open
from apps.ingestion.specs import SavedResponseSpec
from apps.papers import limits
from apps.papers.models import Paper
from tests.factories import PaperFactory
from tests.ingestion.standin import StandinPaper, atom_feed

pytestmark = pytest.mark.django_db

HUGE = "word " * 1_000_000  # 5,000,000 characters, 4,999,999 once collapsed


def bibtex(abstract: str) -> str:
    return (
        f"@article{{huge, title={{Huge}}, author={{Doe, Jane}}, year={{2024}},\n"
        f"  abstract={{{abstract}}}}}\n"
        "@article{fine, title={Fine}, author={Roe, Rick}, year={2024}}\n"
    )


def test_a_bibtex_entry_with_a_5_mb_abstract_fails_alone_with_the_reason() -> None:
    report = bibtex_import(text=bibtex(HUGE))

    outcomes = {entry.key: (entry.action, entry.reason) for entry in report.entries}
    assert outcomes["huge"] == (
        "failed",
        f"abstract: 4,999,999 characters; the limit is {limits.ABSTRACT:,} characters",
    )
    assert outcomes["fine"][0] == "created"
    assert list(Paper.objects.values_list("title", flat=True)) == ["Fine"]


def test_import_bibtex_refuses_it_too(tmp_path: Path) -> None:
    path = tmp_path / "huge.bib"
    path.write_text(bibtex(HUGE), encoding="utf-8")
    out = io.StringIO()

    with pytest.raises(CommandError) as failure:
        call_command("import_bibtex", str(path), stdout=out, stderr=io.StringIO())

    assert failure.value.returncode == 3
    assert "key huge: abstract: 4,999,999 characters; the limit is 50,000" in out.getvalue()


def test_an_arxiv_entry_over_a_limit_fails_alone(tmp_path: Path) -> None:
    feed = tmp_path / "page.atom"
    feed.write_bytes(
        atom_feed(
            [StandinPaper("2401.00001", "T" * (limits.TITLE + 1)), StandinPaper("2401.00002", "B")],
            total=2,
            start=0,
            per_page=2,
        )
    )
    run = ingest_run_open(spec=SavedResponseSpec(path=str(feed)))

    run_execute(run.pk)

    run.refresh_from_db()
    assert (run.created, run.failed) == (1, 1)
    assert "title: 2,001 characters; the limit is 2,000 characters" in str(run.errors)
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00002"]


def test_the_api_and_the_admin_hold_the_same_limit(curator, curator_client: Client) -> None:
    paper = PaperFactory()
    from apps.core.api.tokens import api_token_issue

    token, _ = api_token_issue(user=curator)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.patch(
        f"/api/v1/papers/{paper.pk}/",
        {"abstract": "x" * (limits.ABSTRACT + 1)},
        content_type="application/json",
    )
    form_field = Paper._meta.get_field("abstract").formfield()

    assert response.status_code == 400
    assert "abstract" in response.json()["errors"]
    assert form_field.max_length == limits.ABSTRACT


def test_ingest_request_limits_hold_on_the_api_the_admin_and_the_command(curator) -> None:  # type: ignore[no-untyped-def]
    from apps.core.api.tokens import api_token_issue
    from apps.core.exceptions import ApplicationError
    from apps.ingestion import limits as ingest_limits
    from apps.ingestion.services import arxiv_ids_ingest

    ids = [f"2401.{i:05d}" for i in range(ingest_limits.MAX_IDS + 1)]
    token, _ = api_token_issue(user=curator)
    api = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    by_api = api.post("/api/v1/ingest/", {"arxiv_ids": ids}, content_type="application/json")
    with pytest.raises(ApplicationError, match="at most 1,000"):
        arxiv_ids_ingest(ids=ids)  # what the admin's form calls
    with pytest.raises(CommandError, match="at most 1,000"):
        call_command("ingest_arxiv", "--id", *ids, stdout=io.StringIO())
    with pytest.raises(CommandError, match="from 1 to 10,000"):
        call_command("ingest_arxiv", "--query", "all:x", "--max", "10001", stdout=io.StringIO())

    assert by_api.status_code == 400
    assert "arxiv_ids" in by_api.json()["errors"]
    assert IngestRun.objects.count() == 0
