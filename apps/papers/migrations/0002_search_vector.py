"""PostgreSQL only: a stored, weighted tsvector of title, authors and abstract, GIN-indexed.

Not a model field (SQLite has no tsvector); apps.papers.search reads it by name. Migration
0006 replaces the generated column with one kept by triggers; the definitions below are the
ones this migration shipped with.
"""

from django.db import migrations

VECTOR_COLUMN = "search_vector"
VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(author_names, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'C')"
)

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
