"""`manage.py enrich`: complete the records of papers already in the base, from arXiv (the
default) or from OpenAlex — online, or offline from a saved OpenAlex answer — as a recorded,
resumable run, in this process, through the same services as the workers."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from apps.ingestion.arxiv.client import ArxivClient
from apps.ingestion.arxiv.errors import ArxivUnavailableError
from apps.ingestion.arxiv.runs import Step, ingest_run_page
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.client import OpenAlexClient
from apps.ingestion.openalex.errors import OpenAlexUnavailableError
from apps.ingestion.openalex.runs import openalex_run_page
from apps.ingestion.services import ingest_run_finish, ingest_run_open
from apps.papers.models import Paper


class Command(BaseCommand):
    help = (
        "Enrich papers: --source arxiv (default) re-fetches them from arXiv; --source openalex "
        "adds citations, open-access links and venues from OpenAlex (--from-file FILE: a saved "
        "OpenAlex work or list page). --paper ID… limits it to those papers. Idempotent; ends "
        "with created=N updated=N unchanged=N failed=N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--source", choices=["arxiv", "openalex"], default="arxiv")
        parser.add_argument(
            "--paper", nargs="+", type=int, dest="papers", metavar="ID", help="paper ids"
        )
        parser.add_argument(
            "--from-file", type=Path, help="--source openalex: a saved OpenAlex answer (JSON)"
        )

    def handle(self, *args: object, **options: object) -> None:
        source, papers, path = options["source"], options["papers"], options["from_file"]
        if path is not None and source != "openalex":
            raise CommandError("--from-file reads saved OpenAlex answers: add --source openalex")
        if path is not None and papers:
            raise CommandError("--from-file and --paper do not go together")
        if papers:
            missing = sorted(
                set(papers) - set(Paper.objects.filter(pk__in=papers).values_list("pk", flat=True))
            )  # type: ignore[arg-type]
            if missing:
                raise CommandError(f"no such papers: {', '.join(map(str, missing))}")
        run = (
            self._openalex(papers, path)  # type: ignore[arg-type]
            if source == "openalex"
            else self._arxiv(papers)  # type: ignore[arg-type]
        )
        self.stdout.write(
            f"created={run.created} updated={run.updated} unchanged={run.unchanged} "
            f"failed={run.failed}"
        )
        if run.status == IngestRun.Status.FAILED:
            raise CommandError(f"enrichment run #{run.pk} failed: {run.message}")

    def _openalex(self, papers: list[int] | None, path: Path | None) -> IngestRun:
        if path is not None:
            path = path.resolve()
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            parameters: dict = {"path": str(path)}
        else:
            parameters = {"paper_ids": papers} if papers else {}
        run = ingest_run_open(kind=IngestRun.Kind.OPENALEX, parameters=parameters)
        client = None if path is not None else OpenAlexClient.from_settings()
        try:
            return self._loop(run, lambda: openalex_run_page(run=run, client=client))
        finally:
            if client is not None:
                client.close()

    def _arxiv(self, papers: list[int] | None) -> IngestRun:
        ids = Paper.objects.filter(arxiv_id__isnull=False)
        if papers:
            ids = ids.filter(pk__in=papers)
        arxiv_ids = list(ids.order_by("pk").values_list("arxiv_id", flat=True))
        if not arxiv_ids:
            raise CommandError("no paper to refresh has an arXiv id")
        run = ingest_run_open(kind=IngestRun.Kind.ARXIV_IDS, parameters={"ids": arxiv_ids})
        client = ArxivClient.from_settings()
        try:
            return self._loop(run, lambda: ingest_run_page(run=run, client=client))
        finally:
            client.session.close()

    def _loop(self, run: IngestRun, page) -> IngestRun:  # type: ignore[no-untyped-def]
        with tqdm(
            total=run.total, unit="rec", file=self.stderr._out, mininterval=0.5, leave=False
        ) as bar:
            while True:
                try:
                    step = page()
                except (ArxivUnavailableError, OpenAlexUnavailableError) as error:
                    ingest_run_finish(run=run, error=str(error))
                    step = Step.FINISHED
                run.refresh_from_db()
                bar.total = run.total
                bar.update(run.seen - bar.n)
                if step is not Step.MORE:
                    return run
