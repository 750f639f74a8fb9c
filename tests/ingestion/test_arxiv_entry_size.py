"""One huge entry in an arXiv answer costs little and fails alone (ARXIV_MAX_ENTRY_BYTES)."""

import tracemalloc
from pathlib import Path

import pytest

from apps.ingestion.arxiv.parsers import parse_atom, parse_oai
from apps.ingestion.engine import run_execute
from apps.ingestion.services import ingest_run_open
from apps.ingestion.specs import SavedResponseSpec
from apps.papers.models import Paper
from tests.ingestion.standin import StandinPaper, atom_feed, oai_page, raw_record

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def huge_atom(path: Path, megabytes: int) -> int:
    """An Atom page whose first entry's summary is `megabytes` long, then a normal entry."""
    feed = atom_feed(
        [StandinPaper("2401.00001", "Huge"), StandinPaper("2401.00002", "Fine")],
        total=2,
        start=0,
        per_page=2,
    )
    first_summary_end = feed.index(b"</summary>")
    with path.open("wb") as out:
        out.write(feed[:first_summary_end])
        chunk = b"word " * (MB // 5)
        for _ in range(megabytes):
            out.write(chunk)
        out.write(feed[first_summary_end:])
    return path.stat().st_size


def test_a_50_mb_single_entry_atom_file_costs_about_its_size_and_fails_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "huge.atom"
    size = huge_atom(path, 50)
    run = ingest_run_open(spec=SavedResponseSpec(path=str(path)))

    tracemalloc.start()
    try:
        run_execute(run.pk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    run.refresh_from_db()
    assert peak < 2 * size, f"peak {peak / MB:.0f} MB for a {size / MB:.0f} MB file"
    assert (run.created, run.failed) == (1, 1)
    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00002"]
    assert "2401.00001" in str(run.errors)
    assert "bytes; the limit is 1,048,576 bytes (ARXIV_MAX_ENTRY_BYTES)" in str(run.errors)


def test_the_limit_applies_to_api_pages_and_oai_records_too(settings) -> None:  # type: ignore[no-untyped-def]
    settings.ARXIV_MAX_ENTRY_BYTES = 2000
    big = StandinPaper("2401.00003", "Big", abstract="long " * 1000)
    small = StandinPaper("2401.00004", "Small")

    atom = parse_atom(atom_feed([big, small], total=2, start=0, per_page=2))
    oai = parse_oai(oai_page([raw_record(big), raw_record(small)], token=""))

    for page in (atom, oai):
        assert [r.arxiv_id for r in page.records] == ["2401.00004"]
        assert len(page.errors) == 1
        assert "2401.00003" in page.errors[0].label
        assert page.errors[0].reason.endswith("the limit is 2,000 bytes (ARXIV_MAX_ENTRY_BYTES)")
