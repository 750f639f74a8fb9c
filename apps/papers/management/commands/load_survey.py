"""python manage.py load_survey — load the survey's taxonomy and seed papers (idempotent)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from apps.core.exceptions import ApplicationError
from apps.papers.services import placement_phases_sync, read_seed_papers, seed_papers_load
from apps.papers.services.seed import SEED_PAPERS_PATH
from apps.taxonomy.services import (
    SURVEY_TAXONOMY_PATH,
    read_survey_taxonomy,
    survey_taxonomy_load,
)


class Command(BaseCommand):
    help = (
        "Load the six lifecycle phases with their research-status topics, challenges and "
        "directions, and the seed papers (full records) with their phase, challenge and direction "
        "placements; upgrades a database seeded from an older seed file. Adds what is missing; "
        "never overwrites a curator's edit; a second run changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--taxonomy", type=Path, default=SURVEY_TAXONOMY_PATH)
        parser.add_argument("--papers", type=Path, default=SEED_PAPERS_PATH)

    def handle(self, *args: object, taxonomy: Path, papers: Path, **options: object) -> None:
        try:
            data = read_survey_taxonomy(taxonomy)
            rows = read_seed_papers(papers)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        with transaction.atomic():
            counts = survey_taxonomy_load(data=data)
            placement_phases_sync()
            report = seed_papers_load(rows=rows)
        for outcome in report.papers.outcomes:
            if outcome.action == "failed":
                self.stderr.write(f"failed: {outcome.label}: {outcome.reason}")
        parts = [f"{kind}: {count}" for kind, count in counts.items()]
        parts.append(f"papers: {report.papers.summary()}")
        parts.append(f"placements: created={report.placements_created}")
        parts.append(f"marked incomplete: {report.marked_incomplete}")
        self.stdout.write("; ".join(parts))
