"""PostgreSQL only: keep the search vector in the table row, and move the abstract out instead.

A paper row with its abstract and search vector passes the 2 kB TOAST threshold, and the
vector (the widest column) was the one moved out of line. Ranking reads the vector of every
match, so each match cost an extra TOAST lookup. With STORAGE MAIN the vector stays in the row
and the abstract (needed only for the 50 rows shown) is compressed or moved out first: ranked
searches over 100,000 papers got two to three times faster (docs/performance.md). Rows take
the new layout when written; `VACUUM FULL papers_paper` rewrites existing ones at once.
"""

from django.db import migrations

from apps.papers.search import VECTOR_COLUMN


def keep_vector_inline(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE papers_paper ALTER COLUMN {VECTOR_COLUMN} SET STORAGE MAIN"
        )


def default_storage(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE papers_paper ALTER COLUMN {VECTOR_COLUMN} SET STORAGE EXTENDED"
        )


class Migration(migrations.Migration):
    dependencies = [("papers", "0002_search_vector")]

    operations = [migrations.RunPython(keep_vector_inline, default_storage, elidable=False)]
