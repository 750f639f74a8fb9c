"""PostgreSQL only: a stored, weighted tsvector of title, authors and abstract, GIN-indexed.

Not a model field (SQLite has no tsvector); apps.papers.search reads it by name.
"""

from django.db import migrations

from apps.papers.search import VECTOR_COLUMN, VECTOR_SQL

INDEX = "papers_paper_search_gin"


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE papers_paper ADD COLUMN {VECTOR_COLUMN} tsvector "
        f"GENERATED ALWAYS AS ({VECTOR_SQL}) STORED"
    )
    schema_editor.execute(f"CREATE INDEX {INDEX} ON papers_paper USING gin ({VECTOR_COLUMN})")


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")
    schema_editor.execute(f"ALTER TABLE papers_paper DROP COLUMN IF EXISTS {VECTOR_COLUMN}")


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]

    operations = [migrations.RunPython(add_search_vector, drop_search_vector, elidable=False)]
