"""`manage.py ingest_arxiv`: add papers from arXiv (ids, a query, an OAI-PMH set) or from a
saved Atom/OAI-PMH response, in this process, through the same services as the workers."""

from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.ingestion import limits
from apps.ingestion.arxiv.client import ArxivClient
from apps.ingestion.arxiv.errors import ArxivUnavailableError
from apps.ingestion.arxiv.runs import DEFAULT_QUERY_MAX, Step, ingest_run_page
from apps.ingestion.management.outcome import finish
from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_finish, ingest_run_open
from apps.papers.identifiers import parse_arxiv_id


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
        kind, parameters = self._what(options)
        run = ingest_run_open(kind=kind, parameters=parameters)
        client = None if kind == IngestRun.Kind.SAVED_RESPONSE else ArxivClient.from_settings()
        with tqdm(
            total=run.total, unit="rec", file=self.stderr._out, mininterval=0.5, leave=False
        ) as bar:
            while True:
                try:
                    step = ingest_run_page(run=run, client=client)
                except ArxivUnavailableError as error:
                    ingest_run_finish(run=run, error=str(error))
                    step = Step.FINISHED
                run.refresh_from_db()
                bar.total = run.total
                bar.update(run.seen - bar.n)
                if step is not Step.MORE:
                    break
        summary = (
            f"created={run.created} updated={run.updated} unchanged={run.unchanged} "
            f"failed={run.failed}"
        )
        if run.status == IngestRun.Status.FAILED:
            self.stdout.write(summary)
            raise CommandError(f"ingest run #{run.pk} failed: {run.message}")
        landed = run.created + run.updated + run.unchanged
        finish(self, summary=summary, failed=run.failed, landed=landed)

    def _what(self, options: dict) -> tuple[str, dict]:
        if options["ids"]:
            bad = [raw for raw in options["ids"] if parse_arxiv_id(raw) is None]
            if bad:
                raise CommandError(f"not arXiv identifiers: {', '.join(bad)}")
            if len(set(options["ids"])) > limits.MAX_IDS:
                raise CommandError(f"--id takes at most {limits.MAX_IDS:,} identifiers")
            return IngestRun.Kind.ARXIV_IDS, {"ids": list(options["ids"])}
        if options["query"] is not None:
            if not options["query"].strip():
                raise CommandError("--query is empty")
            if not 1 <= options["max"] <= limits.MAX_QUERY_RESULTS:
                raise CommandError(f"--max must be from 1 to {limits.MAX_QUERY_RESULTS:,}")
            if len(options["query"]) > limits.MAX_QUERY_LENGTH:
                raise CommandError(f"--query is over {limits.MAX_QUERY_LENGTH:,} characters")
            return IngestRun.Kind.ARXIV_QUERY, {"query": options["query"], "max": options["max"]}
        if options["oai_set"] is not None:
            parameters = {"set": options["oai_set"], "metadata_prefix": options["metadata_prefix"]}
            if options["from_date"]:
                try:
                    parameters["from"] = date.fromisoformat(options["from_date"]).isoformat()
                except ValueError as error:
                    raise CommandError("--from must be a date, YYYY-MM-DD") from error
            return IngestRun.Kind.OAI_SET, parameters
        path = options["from_file"].resolve()
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        return IngestRun.Kind.SAVED_RESPONSE, {"path": str(path)}
