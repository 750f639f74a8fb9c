"""How `import_bibtex` and `ingest_arxiv` end: the summary as the last line, and an exit code
a script can test (docs/ingestion.md, "Exit codes")."""

from django.core.management.base import BaseCommand, CommandError

# Some entries failed (each reported above), the others landed.
EXIT_SOME_FAILED = 3
# Every entry failed, or the run itself failed: nothing landed.
EXIT_FAILED = 1


def finish(command: BaseCommand, *, summary: str, failed: int, landed: int) -> None:
    """Write `summary` last and exit 0 when nothing failed, EXIT_SOME_FAILED when some entries
    failed beside ones that landed, EXIT_FAILED when every entry failed."""
    if not failed:
        command.stdout.write(summary)
        return
    total = failed + landed
    if landed:
        command.stdout.write(
            f"{summary} — {failed} of {total} entries failed (listed above); the others landed"
        )
        raise CommandError(
            f"{failed} of {total} entries failed; exit code {EXIT_SOME_FAILED}",
            returncode=EXIT_SOME_FAILED,
        )
    command.stdout.write(f"{summary} — every entry failed (listed above); nothing landed")
    raise CommandError(f"every entry failed ({failed}); nothing landed", returncode=EXIT_FAILED)
