"""`manage.py ingest_arxiv`: add papers from arXiv (ids, a query, an OAI-PMH set) or from a
saved Atom/OAI-PMH response, in this process, through the same services as the workers."""

from pathlib import Path
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.ingestion.management.outcome import finish
from apps.ingestion.management.progress import run_with_progress
from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_open
from apps.ingestion.specs import (
    DEFAULT_QUERY_MAX,
    ArxivIdsSpec,
    ArxivQuerySpec,
    OaiSetSpec,
    RunSpec,
    SavedResponseSpec,
    SpecError,
)


class Command(BaseCommand):
    help = (
        "Ingest arXiv metadata: --id ID… | --query Q [--max N] | --oai-set SET [--from DATE] | "
        "--from-file FILE. Idempotent; ends with created=N updated=N unchanged=N failed=N. "
        "Exits 0 when every record landed, 3 when some failed, 1 when all failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--id", nargs="+", dest="ids", metavar="ID", help="arXiv ids")
        what.add_argument("--query", help='arXiv search query, e.g. "cat:cs.SE AND abs:LLM"')
        what.add_argument("--oai-set", help="OAI-PMH set, e.g. cs or cs:cs:SE")
        what.add_argument("--from-file", type=Path, help="a saved Atom or OAI-PMH response")
        parser.add_argument(
            "--max", type=int, default=DEFAULT_QUERY_MAX, help="most results of --query"
        )
        parser.add_argument(
            "--from", dest="from_date", help="--oai-set: records changed since YYYY-MM-DD"
        )
        parser.add_argument(
            "--metadata-prefix",
            default="arXivRaw",
            choices=["arXivRaw", "arXiv", "oai_dc"],
            help="--oai-set: metadata format (default arXivRaw, which has every version)",
        )

    def handle(self, *args: object, **options: object) -> None:
        try:
            spec = self._spec(options)
        except SpecError as error:
            raise CommandError(error.message) from error
        run = ingest_run_open(spec=spec)
        run = run_with_progress(run, cast(TextIO, self.stderr._out))
        summary = (
            f"created={run.created} updated={run.updated} unchanged={run.unchanged} "
            f"failed={run.failed}"
        )
        if run.status == IngestRun.Status.FAILED:
            self.stdout.write(summary)
            raise CommandError(f"ingest run #{run.pk} failed: {run.message}")
        landed = run.created + run.updated + run.unchanged
        finish(self, summary=summary, failed=run.failed, landed=landed)

    def _spec(self, options: dict) -> RunSpec:
        if options["ids"]:
            return ArxivIdsSpec(ids=tuple(options["ids"]))
        if options["query"] is not None:
            if options["max"] < 1:
                raise CommandError("--max must be at least 1")
            return ArxivQuerySpec(query=options["query"], max=options["max"])
        if options["oai_set"] is not None:
            return OaiSetSpec(
                set=options["oai_set"],
                metadata_prefix=options["metadata_prefix"],
                from_=options["from_date"] or "",
            )
        path = options["from_file"].resolve()
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        return SavedResponseSpec(path=str(path))
