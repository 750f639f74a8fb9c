"""Import BibTeX files into the knowledge base, and report what happened to every entry.

Every path runs the same code on the same chunks of entries, so they agree exactly:

- `bibtex_import` — a whole file in one transaction (the `import_bibtex` command); with
  `dry_run=True` the same import runs and is rolled back, so the preview is exact by
  construction (the admin preview and the API's dry run use it too);
- `bibtex_import_start` — an uploaded file (admin, API): stored with an IngestRun; small files
  import during the request, larger ones in a Celery task (`bibtex_import_process`) that
  commits chunk by chunk with the run's cursor, so a crash resumes where it stopped (the
  BIBTEX run kind, `BibtexKind`, driven by the engine like every other run).

Entries are written by `paper_upsert_many` (dedupe by arXiv id, DOI, then title + year +
first author; curator edits are never overwritten); new papers land in the inbox.
"""

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.utils import timezone

from apps.core.text import fold
from apps.ingestion.bibtex.parser import (
    DuplicateKey,
    ParsedEntry,
    ParsedFile,
    parse_bibtex,
    read_bibtex_bytes,
)
from apps.ingestion.errors import RunError
from apps.ingestion.kinds import Page, RunKind
from apps.ingestion.models import BibtexImport, IngestRun
from apps.ingestion.services import ingest_run_finish, ingest_run_record, ingest_run_start
from apps.ingestion.specs import BibtexSpec
from apps.ingestion.suggestions import placements_suggest_after_commit
from apps.papers.models import Paper
from apps.papers.services import UpsertOutcome, UpsertReport, paper_upsert_many
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

logger = logging.getLogger(__name__)

Actor = AbstractBaseUser | AnonymousUser | None

# Entries per paper_upsert_many call. Every path cuts the file at the same places, so a dry
# run, an import in one transaction and a resumed background run report the same outcomes.
CHUNK_SIZE = 500


@dataclass(slots=True)
class EntryReport:
    """What happened to one entry block."""

    line: int
    key: str
    entry_type: str
    action: str  # created | updated | unchanged | failed
    paper_id: int | None = None
    reason: str = ""

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "key": self.key,
            "entry_type": self.entry_type,
            "action": self.action,
            "paper": self.paper_id,
            "reason": self.reason,
        }


@dataclass(slots=True)
class BibtexImportReport:
    """Every entry's outcome, in file order, and what the parser noticed about the file."""

    entries: list[EntryReport] = field(default_factory=list)
    duplicate_keys: list[DuplicateKey] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    strings: int = 0
    preambles: int = 0
    comments: int = 0
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("created", "updated", "unchanged", "failed"), 0)
        for entry in self.entries:
            counts[entry.action] += 1
        return counts

    def summary(self) -> str:
        """The one line every import ends with; each entry block counts once."""
        return " ".join(f"{action}={n}" for action, n in self.counts.items())

    @property
    def warnings(self) -> list[str]:
        return file_warnings(self.duplicate_keys, self.problems)

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "summary": self.summary(),
            "counts": self.counts,
            "warnings": self.warnings,
            "blocks": {
                "entries": len(self.entries),
                "strings": self.strings,
                "preambles": self.preambles,
                "comments": self.comments,
            },
            "entries": [entry.as_dict() for entry in self.entries],
        }


def file_warnings(duplicates: Sequence[DuplicateKey], problems: Sequence[str]) -> list[str]:
    return [
        *(f"line {d.line}: key {d.key} is already used on line {d.first_line}" for d in duplicates),
        *problems,
    ]


# --- Whole files (command, previews) ------------------------------------------------------


def bibtex_import(*, text: str, actor: Actor = None, dry_run: bool = False) -> BibtexImportReport:
    """Import a BibTeX file in one transaction and report every entry.

    With `dry_run` the import runs for real and is rolled back: nothing is written, and
    the report is exactly what the import would do now. Safe to call twice: the second
    import reports every entry unchanged. Raises BibtexInputError for text that is no BibTeX.
    """
    parsed = parse_bibtex(text, ignore_keywords=taxonomy_keywords())
    report = _report_for(parsed, dry_run=dry_run)
    with transaction.atomic():
        for chunk in _chunks(parsed.entries):
            report.entries += _import_chunk(chunk, actor=_user(actor))[0]
        if dry_run:
            transaction.set_rollback(True)
    return report


def taxonomy_keywords() -> set[str]:
    """Folded names of phases, challenges and directions: the writer puts them in `keywords`,
    so an exported file imported back does not take them for the user's own keywords."""
    names: set[str] = set()
    for model in (Phase, Challenge, ResearchDirection):
        names.update(fold(name) for name in model.objects.values_list("name", flat=True))
    return names


def _report_for(parsed: ParsedFile, *, dry_run: bool = False) -> BibtexImportReport:
    return BibtexImportReport(
        duplicate_keys=parsed.duplicate_keys,
        problems=parsed.problems,
        strings=parsed.strings,
        preambles=parsed.preambles,
        comments=parsed.comments,
        dry_run=dry_run,
    )


def _chunks(entries: list[ParsedEntry], start: int = 0) -> list[list[ParsedEntry]]:
    return [entries[i : i + CHUNK_SIZE] for i in range(start, len(entries), CHUNK_SIZE)]


def _user(actor: Actor) -> Any:
    """The user to record (history, run), or None for anonymous or system imports."""
    return actor if actor is not None and actor.is_authenticated else None


def _import_chunk(
    entries: list[ParsedEntry], *, actor: AbstractBaseUser | None
) -> tuple[list[EntryReport], UpsertReport]:
    """Upsert one chunk's records; every entry (parsed or failed) gets its outcome."""
    records = [entry.record for entry in entries if entry.record is not None]
    upserted = paper_upsert_many(records=records, source=Paper.Source.BIBTEX, actor=actor)
    # New papers enter the inbox with suggested placements, scored once the import commits
    # (a dry run rolls back, and its callbacks are dropped with it). knowledge, issue 12.
    placements_suggest_after_commit(upserted.created_paper_ids)

    results = iter(upserted.outcomes)
    reports: list[EntryReport] = []
    outcomes: list[UpsertOutcome] = []
    for entry in entries:
        if entry.record is None:
            outcome = UpsertOutcome(entry.label, "failed", reason=entry.error)
        else:
            outcome = next(results)
        reason = "; ".join(part for part in (outcome.reason, *entry.notes) if part)
        outcomes.append(UpsertOutcome(entry.label, outcome.action, outcome.paper_id, reason))
        reports.append(
            EntryReport(
                line=entry.line,
                key=entry.key,
                entry_type=entry.entry_type,
                action=outcome.action,
                paper_id=outcome.paper_id,
                reason=reason,
            )
        )
    return reports, UpsertReport(outcomes)


# --- Uploads (admin, API) -----------------------------------------------------------------


def bibtex_import_start(
    *, data: bytes, filename: str = "", actor: Actor = None
) -> tuple[BibtexImport, BibtexImportReport | None]:
    """Import an uploaded file, keeping the file and an IngestRun of the import.

    Files with up to BIBTEX_SYNC_MAX_ENTRIES entries import now, in one transaction, and
    the full report comes back; larger ones are handed to a Celery task after commit
    (report None: progress, counts and failures show on the run). Raises BibtexInputError
    for a file that is not BibTeX (nothing is written then). Importing the same file
    twice changes no paper the second time.
    """
    text = read_bibtex_bytes(data, max_bytes=settings.BIBTEX_MAX_BYTES)
    parsed = parse_bibtex(text, ignore_keywords=taxonomy_keywords())
    user = _user(actor)
    upload_fields = {
        "filename": filename[:255],
        "text": text,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "entry_count": len(parsed.entries),
        "warnings": file_warnings(parsed.duplicate_keys, parsed.problems),
    }
    if len(parsed.entries) > settings.BIBTEX_SYNC_MAX_ENTRIES:
        with transaction.atomic():
            run = ingest_run_start(
                spec=BibtexSpec(
                    filename=filename[:255], entries=len(parsed.entries), mode="background"
                ),
                requested_by=user,
                total=len(parsed.entries),
            )
            upload = BibtexImport.objects.create(run=run, **upload_fields)
        return upload, None

    report = _report_for(parsed)
    with transaction.atomic():
        # Not ingest_run_start: that would also hand the run to a worker. This run is
        # carried out here and now, inside the transaction that holds its writes.
        run = IngestRun.objects.create(
            kind=BibtexSpec.kind,
            status=IngestRun.Status.RUNNING,
            parameters=BibtexSpec(
                filename=filename[:255], entries=len(parsed.entries), mode="during the request"
            ).to_json(),
            requested_by=user,
            total=len(parsed.entries),
            started_at=timezone.now(),
        )
        upload = BibtexImport.objects.create(run=run, **upload_fields)
        for index, chunk in enumerate(_chunks(parsed.entries)):
            entries, outcomes = _import_chunk(chunk, actor=user)
            cursor = min((index + 1) * CHUNK_SIZE, len(parsed.entries))
            _record_chunk(upload, outcomes, entries, cursor=cursor)
            report.entries += entries
        ingest_run_finish(run=run)
    upload.refresh_from_db()
    return upload, report


def _record_chunk(
    upload: BibtexImport, outcomes: UpsertReport, entries: list[EntryReport], *, cursor: int
) -> None:
    """Count a chunk on the run, move its cursor, and keep the entries that came with a
    reason. Runs in the chunk's transaction, so a crash keeps both or neither."""
    ingest_run_record(run=upload.run, report=outcomes, cursor={"next": cursor})
    _keep_notes(upload, entries)


def _keep_notes(upload: BibtexImport, entries: list[EntryReport]) -> None:
    noted = [entry.as_dict() for entry in entries if entry.reason]
    room = BibtexImport.MAX_NOTES - len(upload.notes)
    if noted and room > 0:
        upload.notes = [*upload.notes, *noted[:room]]
        upload.save(update_fields=["notes", "updated_at"])


class BibtexKind(RunKind[BibtexSpec]):
    """A background BibTeX import: one chunk of entries per page (papers, counts and cursor
    {"next": n} in one transaction), all chunks in one task. The file is parsed once per
    execution; a resumed run goes on after the last committed chunk."""

    spec = BibtexSpec
    one_page_per_task = False  # no network: parsing once and writing every chunk is cheaper

    def open(self, run: IngestRun, spec: BibtexSpec) -> tuple[BibtexImport, ParsedFile] | None:
        upload = BibtexImport.objects.filter(run=run).first()
        if upload is None:
            return None
        return upload, parse_bibtex(upload.text, ignore_keywords=taxonomy_keywords())

    def fetch(self, run: IngestRun, spec: BibtexSpec, cursor: dict, session: Any) -> Page:
        if session is None:
            raise RunError("The uploaded file of this run is gone.")
        entries = session[1].entries
        start = int(cursor.get("next", 0))
        end = min(start + CHUNK_SIZE, len(entries))
        return Page(
            items=entries[start:end],
            next_cursor={"next": end},
            done=end >= len(entries),
            total=len(entries),
        )

    def write(self, run: IngestRun, spec: BibtexSpec, page: Page, session: Any) -> UpsertReport:
        upload = session[0]
        entries, outcomes = _import_chunk(page.items, actor=run.requested_by)
        upload.refresh_from_db(fields=["notes"])
        _keep_notes(upload, entries)
        return outcomes
