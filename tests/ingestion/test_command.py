"""`manage.py ingest_arxiv` against the stand-in and on saved responses."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.ingestion.models import IngestRun
from apps.papers.models import Paper
from tests.ingestion.standin import (
    Standin,
    StandinPaper,
    atom_feed,
    error_feed,
    oai_page,
    raw_record,
)

pytestmark = pytest.mark.django_db


def ingest(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_arxiv", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_ids_then_again_changes_nothing(arxiv_settings, standin: Standin) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper("2401.00001", "A"), StandinPaper("hep-th/9603067", "B")]

    first, progress = ingest("--id", "2401.00001", "hep-th/9603067v1")
    second, _ = ingest("--id", "2401.00001", "hep-th/9603067v1")

    assert first.strip().splitlines()[-1] == "created=2 updated=0 unchanged=0 failed=0"
    assert second.strip().splitlines()[-1] == "created=0 updated=0 unchanged=2 failed=0"
    assert "rec" in progress  # the progress bar
    assert IngestRun.objects.filter(kind="arxiv_ids", status="succeeded").count() == 2


def test_query_with_max(arxiv_settings, standin: Standin) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [StandinPaper(f"2401.{i:05d}", f"Paper {i}") for i in range(1, 8)]

    out, _ = ingest("--query", "cat:cs.SE", "--max", "5")

    assert out.strip() == "created=5 updated=0 unchanged=0 failed=0"
    assert standin.requests[0].params["search_query"] == "cat:cs.SE"


def test_oai_set_from_date(arxiv_settings, standin: Standin) -> None:  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper("2401.00001", "Old", versions=["2024-01-02T10:00:00Z"]),
        StandinPaper("2411.00002", "New", versions=["2026-11-02T10:00:00Z"]),
    ]

    out, _ = ingest("--oai-set", "cs", "--from", "2026-11-01")

    assert out.strip() == "created=1 updated=0 unchanged=0 failed=0"
    assert standin.requests[0].params["from"] == "2026-11-01"
    assert Paper.objects.get().title == "New"


def test_saved_atom_and_oai_files(tmp_path: Path) -> None:
    atom = tmp_path / "page.atom"
    atom.write_bytes(
        atom_feed([StandinPaper("2401.00001", "Ünïcödé $\\alpha$")], total=1, start=0, per_page=1)
    )
    oai = tmp_path / "page.xml"
    oai.write_bytes(oai_page([raw_record(StandinPaper("2401.00002", "B"))], token="page-1"))

    first, _ = ingest("--from-file", str(atom))
    second, _ = ingest("--from-file", str(oai))

    assert first.strip() == "created=1 updated=0 unchanged=0 failed=0"
    assert second.strip() == "created=1 updated=0 unchanged=0 failed=0"
    assert Paper.objects.get(arxiv_id="2401.00001").title == "Ünïcödé $\\alpha$"


def test_an_error_feed_exits_non_zero_with_arxivs_message(arxiv_settings, standin: Standin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="arXiv says: malformed query: unknown field prefix"):
        ingest("--query", "bad:field")

    run = IngestRun.objects.get()
    assert run.status == "failed"
    assert Paper.objects.count() == 0


def test_an_oai_error_exits_non_zero(arxiv_settings, standin: Standin) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="cannotDisseminateFormat: Unknown format"):
        ingest("--oai-set", "cs", "--metadata-prefix", "oai_dc")


def test_a_saved_error_feed_or_bad_file_fails(tmp_path: Path) -> None:
    feed = tmp_path / "error.atom"
    feed.write_bytes(error_feed("incorrect id format for 1234"))
    broken = tmp_path / "broken.xml"
    broken.write_bytes(b"<feed xmlns='http://www.w3.org/2005/Atom'><entry>")

    with pytest.raises(CommandError, match="incorrect id format for 1234"):
        ingest("--from-file", str(feed))
    with pytest.raises(CommandError, match="malformed or truncated XML"):
        ingest("--from-file", str(broken))
    with pytest.raises(CommandError, match="no such file"):
        ingest("--from-file", str(tmp_path / "missing.xml"))
    assert Paper.objects.count() == 0


def test_bad_arguments_are_refused_before_anything_runs(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="Not arXiv identifiers: banana"):
        ingest("--id", "banana")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        ingest("--oai-set", "cs", "--from", "yesterday")
    assert IngestRun.objects.count() == 0


def test_the_real_process_exits_non_zero_with_arxivs_message(tmp_path: Path) -> None:
    """Through manage.py in its own process (own SQLite file): exit status and output."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    feed = tmp_path / "error.atom"
    feed.write_bytes(error_feed("incorrect id format for 1234"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "LOG_LEVEL": "ERROR",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=root, env=env, check=True)

    result = subprocess.run(
        [*manage, "ingest_arxiv", "--from-file", str(feed)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 1
    assert "arXiv says: incorrect id format for 1234" in result.stderr
    assert result.stdout.strip() == "created=0 updated=0 unchanged=0 failed=0"


def test_a_saved_arxiv_page_yields_pending_challenge_suggestions(
    survey, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    atom = tmp_path / "page.atom"
    paper = StandinPaper(
        "2501.00042",
        "Detecting benchmark contamination in code LLM evaluation",
        abstract="Test sets leak into pretraining data; we detect the leakage and decontaminate.",
    )
    atom.write_bytes(atom_feed([paper], total=1, start=0, per_page=1))

    with django_capture_on_commit_callbacks(execute=True):  # scored once the page commits
        ingest("--from-file", str(atom))

    placed = Paper.objects.get(arxiv_id="2501.00042").placements.select_related("challenge")
    challenges = [p for p in placed if p.challenge_id]
    assert challenges
    assert {(p.origin, p.review_state) for p in challenges} == {("suggested", "pending")}
    assert any("contamination" in p.challenge.slug for p in challenges)
    assert all(p.evidence and 0 < p.confidence <= 1 for p in challenges)


def test_a_file_whose_every_entry_fails_exits_1_and_some_failures_exit_3(tmp_path: Path) -> None:
    bad = tmp_path / "bad.atom"
    bad.write_bytes(atom_feed([StandinPaper("2401.00001", "")], total=1, start=0, per_page=1))
    mixed = tmp_path / "mixed.atom"
    mixed.write_bytes(
        atom_feed(
            [StandinPaper("2401.00002", ""), StandinPaper("2401.00003", "Fine")],
            total=2,
            start=0,
            per_page=2,
        )
    )

    out = io.StringIO()
    with pytest.raises(CommandError) as all_failed:
        call_command("ingest_arxiv", "--from-file", str(bad), stdout=out, stderr=io.StringIO())
    last_of_all_failed = out.getvalue().splitlines()[-1]
    out = io.StringIO()
    with pytest.raises(CommandError) as some_failed:
        call_command("ingest_arxiv", "--from-file", str(mixed), stdout=out, stderr=io.StringIO())
    last_of_some_failed = out.getvalue().splitlines()[-1]

    assert all_failed.value.returncode == 1
    assert last_of_all_failed == (
        "created=0 updated=0 unchanged=0 failed=1 — every entry failed (listed above); "
        "nothing landed"
    )
    assert some_failed.value.returncode == 3
    assert last_of_some_failed == (
        "created=1 updated=0 unchanged=0 failed=1 — 1 of 2 entries failed (listed above); "
        "the others landed"
    )
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00003"]
