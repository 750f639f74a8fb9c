"""PostgreSQL only: make ranked full-text search over many papers cheaper.

1. Keep the search vector in the table row and move the abstract out instead. A paper row with
   its abstract and vector passes the 2 kB TOAST threshold, and the vector (the widest column)
   was the one moved out of line; ranking reads the vector of every match, so each match cost
   an extra TOAST lookup. With STORAGE MAIN the abstract (needed only for the rows shown) is
   compressed or moved out first. Rows take the new layout when written (`VACUUM FULL
   papers_paper` rewrites existing ones at once).
2. A GIN index over included papers only. The public's searches (always `status =
   'included'`) used the full GIN index and then ANDed it with a bitmap of every included
   paper from the status index, which cost more than the search itself; the partial index
   answers them alone. Harvested papers arrive in the inbox, so ingestion does not write to it.

Measured on 100,000 papers (bench/api_bench.py, docs/performance.md): searches matching a few
thousand papers got two to three times faster.
"""

from django.db import migrations

VECTOR_COLUMN = "search_vector"

INCLUDED_INDEX = "papers_paper_search_included_gin"


def tune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE papers_paper ALTER COLUMN {VECTOR_COLUMN} SET STORAGE MAIN"
    )
    schema_editor.execute(
        f"CREATE INDEX {INCLUDED_INDEX} ON papers_paper USING gin ({VECTOR_COLUMN}) "
        "WHERE status = 'included'"
    )


def untune(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INCLUDED_INDEX}")
    schema_editor.execute(
        f"ALTER TABLE papers_paper ALTER COLUMN {VECTOR_COLUMN} SET STORAGE EXTENDED"
    )


class Migration(migrations.Migration):
    dependencies = [("papers", "0002_search_vector")]

    operations = [migrations.RunPython(tune, untune, elidable=False)]
