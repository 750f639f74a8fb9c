"""Indexes for the public's "newest" reads (issue 14), PostgreSQL only: SQLite cannot index
NULLS LAST or Django's date truncation, and sorts its small tables fast.

- Home's newest additions (`selectors.newest_papers`): inclusion day, then newest first. The
  expression is the SQL Django writes for `TruncDate("included_at")` with TIME_ZONE = "UTC";
  without it, home sorted every included paper (~100 ms at 100,000 papers).
- A challenge's newest papers on its phase page (`selectors.challenge_paper_samples`): included
  papers by date, probed against the challenge's placements until five are found, instead of
  ranking all of them (~35 ms a phase).
"""

from django.db import migrations

INDEXES = {
    "papers_paper_newest_included": (
        "CREATE INDEX IF NOT EXISTS papers_paper_newest_included ON papers_paper "
        "(((included_at AT TIME ZONE 'UTC')::date) DESC, year DESC NULLS LAST, "
        "published_at DESC NULLS LAST, id DESC) WHERE included_at IS NOT NULL"
    ),
    "papers_paper_included_published": (
        "CREATE INDEX IF NOT EXISTS papers_paper_included_published ON papers_paper "
        "(published_at DESC NULLS LAST, id DESC) WHERE status = 'included'"
    ),
}


def create(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for sql in INDEXES.values():
            schema_editor.execute(sql)


def drop(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("papers", "0011_list_count_indexes")]

    operations = [migrations.RunPython(create, drop)]
