"""python manage.py recount_papers — rebuild the summary of public counts from scratch."""

from django.core.management.base import BaseCommand

from apps.papers.counts import counts_recompute, install_count_triggers


class Command(BaseCommand):
    help = (
        "Rebuild the summary of public counts (included papers per phase, challenge, "
        "direction, category and year) from the papers themselves, and reinstall the triggers "
        "that keep it exact. For after a bulk load that bypassed them, or as a repair; "
        "idempotent."
    )

    def handle(self, *args: object, **options: object) -> None:
        install_count_triggers()
        cells = counts_recompute()
        self.stdout.write(f"recounted cells={cells}")
