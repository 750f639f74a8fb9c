"""`manage.py enrich`: complete the records of papers already in the base, from arXiv (the
default) or from OpenAlex — online, or offline from a saved OpenAlex answer — as a recorded,
resumable run carried out in this process by the run engine, with a progress bar."""

from pathlib import Path
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.ingestion.management.progress import run_with_progress
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.specs import OpenAlexSpec
from apps.ingestion.services import ingest_run_open
from apps.ingestion.specs import ArxivRefreshSpec, RunSpec, SpecError
from apps.papers.models import Paper


class Command(BaseCommand):
    help = (
        "Enrich papers: --source arxiv (default) re-fetches them from arXiv; --source openalex "
        "adds citations, open-access links and venues from OpenAlex (--from-file FILE: a saved "
        "OpenAlex work or list page, offline). --paper ID… limits it to those papers. "
        "Idempotent; ends with created=N updated=N unchanged=N failed=N."
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
        try:
            spec = self._spec(options)
        except SpecError as error:
            raise CommandError(error.message) from error
        run = ingest_run_open(spec=spec)
        run = run_with_progress(run, cast(TextIO, self.stderr._out))
        self.stdout.write(
            f"created={run.created} updated={run.updated} unchanged={run.unchanged} "
            f"failed={run.failed}"
        )
        if run.status == IngestRun.Status.FAILED:
            raise CommandError(f"enrichment run #{run.pk} failed: {run.message}")

    def _spec(self, options: dict) -> RunSpec:
        source, papers, path = options["source"], options["papers"] or [], options["from_file"]
        if path is not None:
            if source != "openalex":
                raise CommandError(
                    "--from-file reads saved OpenAlex answers: add --source openalex"
                )
            if papers:
                raise CommandError("--from-file and --paper do not go together")
            path = path.resolve()
            if not path.is_file():
                raise CommandError(f"no such file: {path}")
            return OpenAlexSpec(path=str(path), reason="command")
        found = Paper.objects.filter(pk__in=papers) if papers else Paper.objects.all()
        missing = sorted(set(papers) - set(found.values_list("pk", flat=True)))
        if missing:
            raise CommandError(f"no such papers: {', '.join(map(str, missing))}")
        if source == "openalex":
            return OpenAlexSpec(paper_ids=tuple(papers), reason="command")
        ids = found.filter(arxiv_id__isnull=False).order_by("pk").values_list("arxiv_id", flat=True)
        if not ids:
            raise CommandError("none of these papers has an arXiv id to refresh from")
        return ArxivRefreshSpec(ids=tuple(i for i in ids if i), reason="command")
