from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PapersConfig(AppConfig):
    name = "apps.papers"
    label = "papers"
    verbose_name = "Papers"

    def ready(self) -> None:
        from apps.papers.counts import ensure_counts
        from apps.papers.search import ensure_search_index

        # SQLite drops a table's triggers when a migration rebuilds the table: put the search
        # document's triggers back (and refill it) after every migrate.
        post_migrate.connect(ensure_search_index, sender=self)
        # The same for the summary of counts, which is rebuilt with its triggers.
        post_migrate.connect(ensure_counts, sender=self)
