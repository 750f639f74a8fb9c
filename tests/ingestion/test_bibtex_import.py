"""Importing BibTeX files: counts, dedupe, nothing lost, dry runs, uploads and background runs."""

import re

import pytest
from django.db import DatabaseError

from apps.core.services import curated_save
from apps.ingestion import services as ingestion_services
from apps.ingestion.bibtex import services as bibtex_services
from apps.ingestion.bibtex.parser import BibtexInputError
from apps.ingestion.bibtex.services import bibtex_import, bibtex_import_start
from apps.ingestion.models import BibtexImport, IngestRun
from apps.ingestion.services import ingest_run_resume
from apps.ingestion.tasks import ingest_run_execute
from apps.papers.models import Author, Authorship, Paper
from tests.factories import ChallengeFactory, PaperFactory
from tests.ingestion.test_bibtex_parser import FILES, entry_blocks

pytestmark = pytest.mark.django_db

SUMMARY = re.compile(r"^created=(\d+) updated=(\d+) unchanged=(\d+) failed=(\d+)$")


def read(name: str) -> str:
    return (FILES / name).read_text(encoding="utf-8")


def outcomes(report) -> list[tuple[int, str, str]]:  # type: ignore[no-untyped-def]
    return [(entry.line, entry.key, entry.action) for entry in report.entries]


def database_state() -> tuple:
    return (
        list(Paper.objects.order_by("pk").values()),
        list(Authorship.objects.order_by("pk").values_list("paper", "author", "position")),
        Author.objects.count(),
        Paper.history.count(),
        IngestRun.objects.count(),
    )


@pytest.mark.parametrize("name", sorted(p.name for p in FILES.glob("*.bib")))
def test_the_summary_counts_every_entry_block_once_and_a_reimport_changes_nothing(
    name: str,
) -> None:
    text = read(name)

    first = bibtex_import(text=text)
    state = database_state()
    second = bibtex_import(text=text)

    counts = [int(n) for n in SUMMARY.match(first.summary()).groups()]  # type: ignore[union-attr]
    assert sum(counts) == entry_blocks(text) == len(first.entries)
    again = second.counts
    assert (again["created"], again["updated"]) == (0, 0)
    assert again["failed"] == first.counts["failed"]
    assert database_state() == state


def test_new_papers_enter_the_inbox_with_everything_the_entry_said() -> None:
    report = bibtex_import(text=read("accents.bib"))

    paper = Paper.objects.get(pk=report.entries[0].paper_id)
    assert report.entries[0].action == "created"
    assert (paper.status, paper.source) == (Paper.Status.INBOX, Paper.Source.BIBTEX)
    assert paper.title == "Über die GPT-4 Straße: 50% of $\\tau$-bench & more — fast"
    assert paper.author_names == (
        "Bernhard Schölkopf; José François; Jiří Dvořák; Søren Østergaard"
    )
    assert list(paper.authorships.order_by("position").values_list("author__name", flat=True)) == [
        "Bernhard Schölkopf",
        "José François",
        "Jiří Dvořák",
        "Søren Østergaard",
    ]
    assert (paper.bibtex_key, paper.bibtex_type, paper.year) == ("accents2019", "article", 2019)
    assert paper.bibtex_fields["author"].startswith('Sch{\\"o}lkopf')


def test_failed_entries_are_reported_with_their_line_key_and_reason() -> None:
    report = bibtex_import(text=read("malformed.bib"))

    failed = [(e.line, e.key, e.reason) for e in report.entries if e.action == "failed"]
    assert [(line, key) for line, key, _ in failed] == [
        (6, "missingcomma"),
        (15, "notitle"),
        (20, "unclosed"),
    ]
    assert failed[0][2].startswith("malformed entry: Expected comma after entry key")
    assert failed[1][2] == "no title"
    assert report.summary() == "created=5 updated=0 unchanged=0 failed=3"
    assert report.warnings[0] == "line 29: key good1 is already used on line 1"
    reused = next(e for e in report.entries if e.line == 29)
    assert reused.action == "created"  # a different paper: imported, without the taken key
    assert "citation key 'good1' is used by another paper" in reused.reason
    assert Paper.objects.get(pk=reused.paper_id).bibtex_key == "anon2023different"


def test_a_dry_run_writes_nothing_and_reports_exactly_what_the_import_does() -> None:
    existing = {PaperFactory(arxiv_id="2308.10620", title="Some title", doi=None, venue="").pk}
    text = read("dedupe.bib") + read("malformed.bib")
    before = database_state()

    preview = bibtex_import(text=text, dry_run=True)

    assert database_state() == before
    real = bibtex_import(text=text)
    assert preview.dry_run
    assert not real.dry_run
    assert [(e.line, e.key, e.action, e.reason) for e in preview.entries] == [
        (e.line, e.key, e.action, e.reason) for e in real.entries
    ]
    # Papers that existed before match the same rows (new ones get ids from a sequence that
    # a rollback does not rewind on PostgreSQL, so only those are compared).
    assert [e.paper_id in existing for e in preview.entries] == [
        e.paper_id in existing for e in real.entries
    ]
    assert any(e.paper_id in existing for e in preview.entries)


def test_a_preprint_and_its_published_version_in_one_file_become_one_paper() -> None:
    report = bibtex_import(text=read("dedupe.bib"))

    assert outcomes(report) == [
        (1, "hou2023preprint", "created"),
        (10, "hou2024tosem", "unchanged"),
        (21, "titlematch2022", "created"),
        (28, "titlematch2022b", "unchanged"),
    ]
    assert "same paper as line 1, key hou2023preprint" in report.entries[1].reason
    paper = Paper.objects.get(arxiv_id="2308.10620")
    assert paper.doi == "10.1145/3695988"
    assert paper.venue == "ACM Transactions on Software Engineering and Methodology"
    assert paper.author_names == "Xinyi Hou; Yanjie Zhao; Yue Liu; Zhou Yang"
    assert paper.bibtex_fields["pages"] == "1--79"
    assert Paper.objects.count() == 2
    merged = Paper.objects.get(bibtex_key="titlematch2022")
    assert merged.author_names == "Ada Lovelace; Alan Turing"
    assert merged.bibtex_fields["note"] == "Second copy with more authors"


def test_entries_match_papers_already_in_the_base_and_never_overwrite_a_curators_edit() -> None:
    harvested = PaperFactory(
        arxiv_id="2308.10620",
        title="LLMs for SE: a review (curator's wording)",
        doi=None,
        venue="",
        bibtex_key="",
        authors=["Xinyi Hou"],
    )
    curated_save(instance=harvested, changed_fields=["title", "venue"])
    by_doi = PaperFactory(arxiv_id=None, doi="10.1145/abc.def", title="Old", bibtex_key="")
    text = read("dedupe.bib") + read("arxiv.bib")

    report = bibtex_import(text=text)

    harvested.refresh_from_db()
    assert harvested.title == "LLMs for SE: a review (curator's wording)"
    assert harvested.venue == ""  # cleared by the curator: stays empty
    assert harvested.doi == "10.1145/3695988"  # filled: the curator never touched it
    assert harvested.bibtex_key == "hou2023preprint"
    assert {e.key: e.action for e in report.entries}["hou2023preprint"] == "updated"
    doi_entry = next(e for e in report.entries if e.key == "doi2018")
    assert (doi_entry.action, doi_entry.paper_id) == ("updated", by_doi.pk)
    assert Paper.objects.filter(arxiv_id="2308.10620").count() == 1


def test_unknown_fields_are_kept() -> None:
    text = (
        "@article{k, title = {Kept}, file = {:home/me/kept.pdf:PDF}, owner = {me},\n"
        "  timestamp = {2024.01.02}, mynote = {Read {twice}}, month = {sep}, pages = {1--2}}"
    )

    report = bibtex_import(text=text)

    paper = Paper.objects.get(pk=report.entries[0].paper_id)
    assert paper.bibtex_fields == {
        "file": ":home/me/kept.pdf:PDF",
        "owner": "me",
        "timestamp": "2024.01.02",
        "mynote": "Read {twice}",
        "month": "sep",
        "pages": "1--2",
    }


def test_phase_and_challenge_names_in_keywords_are_not_taken_for_the_users_keywords() -> None:
    challenge = ChallengeFactory(name="Test oracles")
    text = (
        "@misc{a, title = {A}, keywords = {fuzzing, Test oracles, "
        f"{challenge.phase.name}}}}}\n@misc{{b, title = {{B}}, keywords = {{Test oracles}}}}"
    )

    report = bibtex_import(text=text)

    papers = [Paper.objects.get(pk=e.paper_id) for e in report.entries]
    assert papers[0].bibtex_fields["keywords"] == "fuzzing"
    assert "keywords" not in papers[1].bibtex_fields


def test_entries_without_a_key_get_a_stored_generated_one() -> None:
    report = bibtex_import(text="@misc{, title = {The Keyless Paper}, author = {Ada Lovelace}}")

    paper = Paper.objects.get(pk=report.entries[0].paper_id)
    assert paper.bibtex_key == "lovelacekeyless"


# --- Uploads and background runs ---------------------------------------------------------


def test_a_small_upload_imports_at_once_with_its_run_and_file(curator) -> None:  # type: ignore[no-untyped-def]
    data = read("malformed.bib").encode()

    upload, report = bibtex_import_start(data=data, filename="mine.bib", actor=curator)

    assert report is not None
    assert report.summary() == "created=5 updated=0 unchanged=0 failed=3"
    run = upload.run
    assert run.kind == IngestRun.Kind.BIBTEX
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.seen, run.created, run.failed, run.total) == (8, 5, 3, 8)
    assert run.requested_by == curator
    assert run.errors[0] == {
        "record": "line 6, key missingcomma",
        "reason": "malformed entry: Expected comma after entry key, but found =",
    }
    assert upload.text == data.decode()
    assert (upload.filename, upload.entry_count, upload.size) == ("mine.bib", 8, len(data))
    assert upload.warnings[0] == "line 29: key good1 is already used on line 1"
    assert [note["line"] for note in upload.notes] == [6, 15, 20, 29, 36]
    assert Paper.history.filter(history_user=curator).count() == 5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x00\x01binary", "This looks like a binary file"),
        ("@misc{k, title={\u00e9}}".encode("utf-16"), "The file is not UTF-8"),
        (b"no entries here", "No BibTeX entries found"),
    ],
)
def test_a_bad_upload_writes_nothing(data: bytes, message: str) -> None:
    with pytest.raises(BibtexInputError, match=re.escape(message)):
        bibtex_import_start(data=data)

    assert (BibtexImport.objects.count(), IngestRun.objects.count(), Paper.objects.count()) == (
        0,
        0,
        0,
    )


def test_an_oversized_upload_is_refused(settings) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_MAX_BYTES = 50

    with pytest.raises(BibtexInputError, match="the limit is 50 bytes"):
        bibtex_import_start(data=read("types.bib").encode())

    assert BibtexImport.objects.count() == 0


def big_file(entries: int) -> bytes:
    return "\n".join(
        f"@article{{big{i}, title = {{Paper number {i}}}, author = {{Author {i}}}, year = 2024}}"
        for i in range(entries)
    ).encode()


def test_a_large_upload_runs_in_the_background_chunk_by_chunk(
    settings, monkeypatch, django_capture_on_commit_callbacks, curator
) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_SYNC_MAX_ENTRIES = 3
    monkeypatch.setattr(bibtex_services, "CHUNK_SIZE", 2)
    sent: list[int] = []
    monkeypatch.setattr(ingestion_services, "task_send", lambda name, args: sent.append(*args))

    with django_capture_on_commit_callbacks(execute=True):
        upload, report = bibtex_import_start(data=big_file(5), actor=curator)

    assert report is None
    assert sent == [upload.run_id]
    assert upload.run.status == IngestRun.Status.PENDING
    assert Paper.objects.count() == 0

    ingest_run_execute(upload.run_id)  # what the worker runs

    run = IngestRun.objects.get(pk=upload.run_id)
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.seen, run.created, run.total, run.cursor) == (5, 5, 5, {"next": 5})
    assert Paper.objects.count() == 5


def test_a_background_run_that_crashes_resumes_after_its_last_committed_chunk(
    settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    settings.BIBTEX_SYNC_MAX_ENTRIES = 3
    monkeypatch.setattr(bibtex_services, "CHUNK_SIZE", 2)
    monkeypatch.setattr(ingestion_services, "task_send", lambda name, args: None)
    with django_capture_on_commit_callbacks(execute=True):
        upload, _ = bibtex_import_start(data=big_file(5))
    real_upsert = bibtex_services.paper_upsert_many
    calls = []

    def failing_second_chunk(**kwargs):  # type: ignore[no-untyped-def]
        calls.append(len(kwargs["records"]))
        if len(calls) == 2:
            raise DatabaseError("connection lost")
        return real_upsert(**kwargs)

    monkeypatch.setattr(bibtex_services, "paper_upsert_many", failing_second_chunk)
    ingest_run_execute(upload.run_id)

    run = IngestRun.objects.get(pk=upload.run_id)
    assert run.status == IngestRun.Status.FAILED
    assert run.message == "DatabaseError: connection lost"
    assert (run.seen, run.created, run.cursor) == (2, 2, {"next": 2})
    assert Paper.objects.count() == 2

    monkeypatch.setattr(bibtex_services, "paper_upsert_many", real_upsert)
    with django_capture_on_commit_callbacks(execute=True):
        ingest_run_resume(run=run)
    ingest_run_execute(run.pk)

    run.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED
    assert (run.seen, run.created, run.unchanged, run.failed) == (5, 5, 0, 0)
    assert sorted(Paper.objects.values_list("title", flat=True)) == [
        f"Paper number {i}" for i in range(5)
    ]


def test_a_background_run_without_its_file_fails_with_a_message() -> None:
    run = IngestRun.objects.create(kind=IngestRun.Kind.BIBTEX)

    ingest_run_execute(run.pk)

    run.refresh_from_db()
    assert run.status == IngestRun.Status.FAILED
    assert run.message == "The uploaded file of this run is gone."


def test_the_report_as_data_lists_every_entry_and_the_blocks_of_the_file() -> None:
    text = read("types.bib")

    report = bibtex_import(text=text)

    data = report.as_dict()
    assert data["summary"] == "created=16 updated=0 unchanged=0 failed=0"
    assert data["blocks"] == {"entries": 16, "strings": 0, "preambles": 0, "comments": 0}
    assert data["entries"][6] == {
        "line": 7,
        "key": "t7",
        "entry_type": "phdthesis",
        "action": "created",
        "paper": report.entries[6].paper_id,
        "reason": "",
    }


def test_imported_papers_enter_the_inbox_with_suggested_placements(
    survey, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    text = """@article{fuzz24,
      title = {Fuzzing Deep Learning Libraries with Large Language Models},
      abstract = {We generate test inputs for deep learning libraries with a large language
                  model and find crashes by fuzzing.},
      author = {Doe, Jane}, year = {2024}}"""

    with django_capture_on_commit_callbacks(execute=True):  # suggestions follow the commit
        bibtex_import(text=text)

    paper = Paper.objects.get(title__startswith="Fuzzing Deep Learning")
    assert paper.status == Paper.Status.INBOX
    suggestions = list(paper.placements.all())
    assert suggestions, "the suggestion service placed nothing"
    assert {(p.origin, p.review_state) for p in suggestions} == {("suggested", "pending")}
    phase = next(p for p in suggestions if p.phase_id is not None).phase
    assert phase.slug == "testing-evaluation"
