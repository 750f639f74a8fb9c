"""python manage.py import_bibtex FILE [--dry-run] — import a BibTeX file into the inbox."""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.ingestion.bibtex.parser import (
    BibtexInputError,
    BibtexTooLargeError,
    read_bibtex_bytes,
    too_large_message,
)
from apps.ingestion.bibtex.services import bibtex_import
from apps.ingestion.management.outcome import finish


class Command(BaseCommand):
    help = (
        "Import a BibTeX file (or - for standard input) into the inbox, in one transaction. "
        "Lists every failed entry with its line, key and reason, and ends with one line "
        "created=N updated=N unchanged=N failed=N counting every entry block once. "
        "--dry-run shows exactly that and writes nothing. A second import changes nothing. "
        "Exits 0 when every entry landed, 3 when some failed, 1 when all failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .bib file, or - to read standard input")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would happen; write nothing"
        )

    def handle(
        self, *args: object, file: str, dry_run: bool, verbosity: int = 1, **options: object
    ) -> None:
        limit = settings.BIBTEX_MAX_BYTES
        try:
            if file == "-":
                data = sys.stdin.buffer.read(limit + 1)
            else:
                path = Path(file)
                if not path.is_file():
                    raise CommandError(f"{file}: no such file")
                size = path.stat().st_size
                if size > limit:  # refuse before reading it into memory
                    raise BibtexTooLargeError(too_large_message(size, limit))
                data = path.read_bytes()
            report = bibtex_import(text=read_bibtex_bytes(data, max_bytes=limit), dry_run=dry_run)
        except BibtexInputError as error:
            raise CommandError(f"{file}: {error.message}") from error

        verbose = verbosity >= 2
        for warning in report.warnings:
            self.stdout.write(f"warning: {warning}")
        for entry in report.entries:
            if entry.action == "failed":
                self.stdout.write(
                    self.style.ERROR(f"failed: line {entry.line}, key {entry.key or '-'}: ")
                    + entry.reason
                )
            elif verbose or entry.reason:
                note = f": {entry.reason}" if entry.reason else ""
                self.stdout.write(
                    f"{entry.action}: line {entry.line}, key {entry.key or '-'}"
                    f" → paper {entry.paper_id}{note}"
                )
        if dry_run:
            self.stdout.write("dry run: nothing was written")
        counts = report.counts
        landed = counts.get("created", 0) + counts.get("updated", 0) + counts.get("unchanged", 0)
        finish(self, summary=report.summary(), failed=counts.get("failed", 0), landed=landed)
