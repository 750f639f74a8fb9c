"""The import_bibtex and export_bibtex commands, run as a user runs them."""

import io
import sys
from pathlib import Path

import bibtexparser
import pytest
from django.core.management import CommandError, call_command

from apps.papers.models import Paper
from tests.factories import ChallengeFactory, PaperFactory, PlacementFactory
from tests.ingestion.test_bibtex_parser import FILES, entry_blocks

pytestmark = pytest.mark.django_db


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines()


def run_failing(*args: str) -> tuple[list[str], CommandError]:
    out = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue().splitlines(), failure.value


def test_import_lists_failures_and_ends_with_the_summary() -> None:
    lines, error = run_failing("import_bibtex", str(FILES / "malformed.bib"))

    assert lines[-1] == (
        "created=5 updated=0 unchanged=0 failed=3 — 3 of 8 entries failed (listed above); "
        "the others landed"
    )
    assert error.returncode == 3
    assert "warning: line 29: key good1 is already used on line 1" in lines
    failures = [line for line in lines if line.startswith("failed:")]
    assert failures == [
        "failed: line 6, key missingcomma: malformed entry: Expected comma after entry key, "
        "but found =",
        "failed: line 15, key notitle: no title",
        "failed: line 20, key unclosed: malformed entry: Unexpected block start: @article. "
        "Was still looking for field-value closing }",
    ]
    assert Paper.objects.count() == 5


def test_a_dry_run_writes_nothing_and_a_second_import_changes_nothing() -> None:
    path = str(FILES / "dedupe.bib")

    dry = run("import_bibtex", path, "--dry-run")
    assert Paper.objects.count() == 0
    real = run("import_bibtex", path)
    again = run("import_bibtex", path)

    assert dry[-2:] == ["dry run: nothing was written", "created=2 updated=0 unchanged=2 failed=0"]
    assert real[-1] == "created=2 updated=0 unchanged=2 failed=0"
    assert again[-1] == "created=0 updated=0 unchanged=4 failed=0"


def test_every_entry_is_listed_at_verbosity_2() -> None:
    lines = run("import_bibtex", str(FILES / "types.bib"), "-v", "2")

    assert sum(line.startswith("created: line ") for line in lines) == 16
    assert entry_blocks((FILES / "types.bib").read_text()) == 16


def test_import_reads_standard_input(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = b"@misc{k, title = {From a pipe}}"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))

    lines = run("import_bibtex", "-")

    assert lines[-1] == "created=1 updated=0 unchanged=0 failed=0"
    assert Paper.objects.get().title == "From a pipe"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "This looks like a binary file"),
        ("@misc{k, title={Caf\u00e9}}".encode("cp1252"), "The file is not UTF-8 (byte 0xe9"),
        (b"x" * 300, "The file is 300 bytes; the limit is 200 bytes"),
    ],
)
def test_bad_files_stop_the_import_with_a_clear_message(
    tmp_path: Path, settings, content: bytes, message: str
) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_MAX_BYTES = 200
    path = tmp_path / "bad.bib"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run("import_bibtex", str(path))

    assert Paper.objects.count() == 0


def test_a_missing_file_is_an_error() -> None:
    with pytest.raises(CommandError, match="no such file"):
        run("import_bibtex", "/nonexistent/refs.bib")


def export(*args: str) -> bibtexparser.Library:
    out = io.StringIO()
    call_command("export_bibtex", *args, stdout=out, stderr=io.StringIO())
    library = bibtexparser.parse_string(out.getvalue())
    assert library.failed_blocks == []
    return library


def test_export_writes_included_papers_by_default_and_filters_by_status() -> None:
    included = PaperFactory(title="Included paper", bibtex_key="inc")
    PaperFactory(title="Inbox paper", status=Paper.Status.INBOX, bibtex_key="box")
    PaperFactory(
        title="Excluded paper",
        status=Paper.Status.EXCLUDED,
        status_reason="off topic",
        bibtex_key="exc",
    )

    assert [e.key for e in export().entries] == [included.bibtex_key]
    assert [e.key for e in export("--status", "inbox").entries] == ["box"]
    assert [e.key for e in export("--status", "excluded").entries] == ["exc"]
    assert sorted(e.key for e in export("--status", "all").entries) == ["box", "exc", "inc"]


def test_export_by_phase_and_challenge() -> None:
    challenge = ChallengeFactory()
    other = ChallengeFactory()
    in_challenge = PlacementFactory(challenge=challenge).paper
    in_phase_only = PlacementFactory(phase=challenge.phase).paper
    PlacementFactory(challenge=other)

    by_phase = {e.key for e in export("--phase", challenge.phase.slug).entries}
    by_challenge = {e.key for e in export("--challenge", challenge.slug).entries}

    in_challenge.refresh_from_db()
    in_phase_only.refresh_from_db()
    assert by_phase == {in_challenge.bibtex_key, in_phase_only.bibtex_key}
    assert by_challenge == {in_challenge.bibtex_key}


def test_export_of_an_unknown_slug_is_an_error() -> None:
    with pytest.raises(CommandError, match="No phase with slug 'nope'"):
        export("--phase", "nope")
    with pytest.raises(CommandError, match="No challenge with slug 'nope'"):
        export("--challenge", "nope")


def test_export_stores_keys_so_the_next_export_cites_papers_alike(tmp_path: Path) -> None:
    PaperFactory(title="Large models", year=2023, authors=["Xinyi Hou"])
    output = tmp_path / "refs.bib"

    call_command("export_bibtex", "-o", str(output), stderr=io.StringIO())
    PaperFactory(title="Large models", year=2023, authors=["Xinyi Hou"], published_at=None)
    second = export()

    first = bibtexparser.parse_string(output.read_text(encoding="utf-8"))
    assert [e.key for e in first.entries] == ["hou2023large"]
    assert sorted(e.key for e in second.entries) == ["hou2023large", "hou2023largea"]
    assert Paper.objects.filter(bibtex_key="").count() == 0


def test_an_import_where_every_entry_failed_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "bad.bib"
    path.write_text("@article{a, author={Doe, J.}}\n@misc{b, year={2020}}\n", encoding="utf-8")

    lines, error = run_failing("import_bibtex", str(path))

    assert lines[-1] == (
        "created=0 updated=0 unchanged=0 failed=2 — every entry failed (listed above); "
        "nothing landed"
    )
    assert error.returncode == 1
    assert Paper.objects.count() == 0


def test_a_clean_import_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "good.bib"
    path.write_text("@misc{a, title={Fine}, author={Doe, J.}, year={2020}}\n", encoding="utf-8")

    assert run("import_bibtex", str(path))[-1] == "created=1 updated=0 unchanged=0 failed=0"
