"""python manage.py setup_roles — create the `curators` group (idempotent)."""

from django.core.management.base import BaseCommand

from apps.core.services import curators_group_setup


class Command(BaseCommand):
    help = "Create the curators group: edit the knowledge base, not users or groups."

    def handle(self, *args: object, **options: object) -> None:
        group, added = curators_group_setup()
        self.stdout.write(
            f"group {group.name}: permissions={group.permissions.count()} added={added}"
        )
