"""python manage.py export_bibtex [--phase SLUG] [--challenge SLUG] [--status …] [-o FILE]"""

from contextlib import nullcontext

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import QuerySet

from apps.papers.bibtex import write_bibtex
from apps.papers.models import Paper
from apps.papers.relations import stream_with_relations
from apps.papers.services.citation_keys import citation_keys_assign
from apps.taxonomy.models import Challenge, Phase

STATUSES = ("included", "inbox", "excluded", "all")
CHUNK = 500


class Command(BaseCommand):
    help = (
        "Write papers as BibTeX, streaming (constant memory however many papers): included "
        "papers by default, optionally only those placed in a phase or a challenge. Papers "
        "without a citation key get a stored one first, so every export cites them alike."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phase", help="slug of a phase: papers placed in it")
        parser.add_argument("--challenge", help="slug of a challenge: papers placed in it")
        parser.add_argument("--status", choices=STATUSES, default="included")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(
        self,
        *args: object,
        phase: str | None,
        challenge: str | None,
        status: str,
        output: str | None,
        **options: object,
    ) -> None:
        papers = Paper.objects.all() if status == "all" else Paper.objects.filter(status=status)
        if phase:
            if not Phase.objects.filter(slug=phase).exists():
                raise CommandError(f"No phase with slug {phase!r}.")
            papers = papers.placed_in(phase__slug=phase)
        if challenge:
            if not Challenge.objects.filter(slug=challenge).exists():
                raise CommandError(f"No challenge with slug {challenge!r}.")
            papers = papers.placed_in(challenge__slug=challenge)

        assigned = self._assign_keys(papers)
        target = open(output, "w", encoding="utf-8") if output else nullcontext(self.stdout)  # noqa: SIM115
        count = 0
        with target as stream:
            # Read a chunk at a time, each with its rows: memory stays flat at any size.
            rows = stream_with_relations(papers.order_by("-published_at", "-id"), chunk_size=CHUNK)
            for entry in write_bibtex(rows):
                stream.write(("\n" if count else "") + entry)
                count += 1
        self.stderr.write(f"exported={count} keys_assigned={assigned}")

    def _assign_keys(self, papers: QuerySet[Paper]) -> int:
        """Store a key on every selected paper that has none, a chunk at a time (the ids of
        one chunk only are held, and assigned papers drop out of the next query)."""
        assigned = 0
        while True:
            ids = list(papers.filter(bibtex_key="").values_list("pk", flat=True)[:CHUNK])
            done = citation_keys_assign(paper_ids=ids) if ids else 0
            assigned += done
            if not done:
                return assigned
