"""python manage.py refresh_related — recompute every included paper's related papers."""

from django.core.management.base import BaseCommand

from apps.papers.services.related import related_papers_refresh


class Command(BaseCommand):
    help = (
        "Recompute the related papers by content of every included paper (the periodic task "
        "does the same). Idempotent: running it twice stores the same neighbours."
    )

    def handle(self, *args: object, **options: object) -> None:
        report = related_papers_refresh()
        self.stdout.write(
            f"Related papers: {report.neighbours} neighbours for {report.papers} papers "
            f"in {report.seconds:.1f} s."
        )
