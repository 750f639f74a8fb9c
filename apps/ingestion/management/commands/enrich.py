"""`manage.py enrich [--source arxiv|openalex] [--paper ID…] [--incomplete] [--from-file FILE]`:
complete the records of papers already in the base from an outside source, as a recorded,
resumable run carried out in this process through the engine.

Each source is one entry of SOURCES: a function from the parsed options (and the selected
papers) to the spec of its run kind, plus the options it adds. A new source (OpenAlex) is one
more run kind (docs/ingestion.md, "Adding a run kind") and one more entry here.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q, QuerySet

from apps.core.exceptions import ApplicationError
from apps.ingestion.management.progress import run_with_progress
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.specs import OpenAlexSpec
from apps.ingestion.services import arxiv_refresh_spec, ingest_run_open
from apps.ingestion.specs import RunSpec
from apps.papers.models import Paper


@dataclass(frozen=True)
class Source:
    """One enrichment source: what it is, its extra options, and how it builds its run's spec
    from the options and the selected papers (raise ApplicationError/CommandError to refuse)."""

    help: str
    spec: Callable[[dict, QuerySet[Paper]], tuple[RunSpec, list[str]]]
    add_arguments: Callable[[CommandParser], None] = field(default=lambda parser: None)


def arxiv_spec(options: dict, papers: QuerySet[Paper]) -> tuple[RunSpec, list[str]]:
    """Refresh from arXiv every selected paper that has an arXiv id."""
    reason = "incomplete" if options["incomplete"] else "selected"
    spec, skipped = arxiv_refresh_spec(paper_ids=papers.values_list("pk", flat=True), reason=reason)
    notes = [f"left out {skipped} paper(s) without an arXiv id"] if skipped else []
    return spec, notes


def openalex_spec(options: dict, papers: QuerySet[Paper]) -> tuple[RunSpec, list[str]]:
    """Look the selected papers up in OpenAlex by DOI (arXiv papers by their arXiv DOI), or
    read a saved OpenAlex answer (`--from-file`) offline."""
    if options["from_file"] is not None:
        if options["papers"] or options["incomplete"]:
            raise CommandError("--from-file reads the whole answer: no --paper or --incomplete")
        path = options["from_file"].resolve()
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        return OpenAlexSpec(path=str(path), reason="command"), []
    if not (options["papers"] or options["incomplete"]):
        return OpenAlexSpec(reason="command"), []  # every paper with a DOI or an arXiv id
    ids = list(papers.values_list("pk", flat=True))
    askable = papers.filter(Q(doi__isnull=False) | Q(arxiv_id__isnull=False)).count()
    notes = (
        [f"left out {len(ids) - askable} paper(s) without a DOI or an arXiv id"]
        if askable < len(ids)
        else []
    )
    if not askable:
        raise CommandError("none of these papers has a DOI or an arXiv id to look up")
    return OpenAlexSpec(paper_ids=tuple(ids), reason="command"), notes


def openalex_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--from-file",
        type=Path,
        metavar="FILE",
        help="--source openalex: a saved OpenAlex answer (a work or a list page), offline",
    )


SOURCES: dict[str, Source] = {
    "arxiv": Source(help="re-fetch papers with an arXiv id from the arXiv API", spec=arxiv_spec),
    "openalex": Source(
        help="cited-by counts, citation links, open-access links and venues from OpenAlex, by DOI",
        spec=openalex_spec,
        add_arguments=openalex_arguments,
    ),
}


class Command(BaseCommand):
    help = (
        "Complete paper records from an outside source (default: arXiv, by arXiv id), as one "
        "recorded run; a curator's edits are never overwritten. Selects every paper, or "
        "--paper ID…, or those marked --incomplete. Idempotent; ends with "
        "created=N updated=N unchanged=N failed=N."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            choices=sorted(SOURCES),
            default="arxiv",
            help="; ".join(f"{name}: {source.help}" for name, source in SOURCES.items()),
        )
        parser.add_argument(
            "--paper", nargs="+", type=int, dest="papers", metavar="ID", help="paper ids"
        )
        parser.add_argument(
            "--incomplete",
            action="store_true",
            help='only papers marked "record incomplete"',
        )
        for source in SOURCES.values():
            source.add_arguments(parser)

    def handle(self, *args: object, **options: object) -> None:
        source = SOURCES[str(options["source"])]
        if options.get("from_file") is not None and options["source"] != "openalex":
            raise CommandError("--from-file reads saved OpenAlex answers: add --source openalex")
        papers = self._papers(options)
        if not papers.exists():
            self.stdout.write("no papers to enrich")
            self.stdout.write("created=0 updated=0 unchanged=0 failed=0")
            return
        try:
            spec, notes = source.spec(options, papers)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        for note in notes:
            self.stdout.write(note)
        run = ingest_run_open(spec=spec)
        run = run_with_progress(run, cast(TextIO, self.stderr._out))
        self.stdout.write(
            f"created={run.created} updated={run.updated} unchanged={run.unchanged} "
            f"failed={run.failed}"
        )
        if run.status == IngestRun.Status.FAILED:
            raise CommandError(f"enrich run #{run.pk} failed: {run.message}")

    def _papers(self, options: dict) -> QuerySet[Paper]:
        papers = Paper.objects.order_by("pk")
        if options["papers"]:
            wanted = set(options["papers"])
            found = set(papers.filter(pk__in=wanted).values_list("pk", flat=True))
            if missing := sorted(wanted - found):
                raise CommandError(f"no papers with ids {', '.join(map(str, missing))}")
            papers = papers.filter(pk__in=wanted)
        if options["incomplete"]:
            papers = papers.filter(record_incomplete=True)
        return papers
