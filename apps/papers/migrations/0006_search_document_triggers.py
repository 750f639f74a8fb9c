"""The search document kept by database triggers, on both databases (issue 13).

PostgreSQL: the generated `search_vector` (title, authors, abstract) becomes a plain column
filled by triggers, because it now also holds the curators' notes (evidence of accepted
placements, another table) and the venue, folded for accents by `sellm_search_fold`
(no extension needed). Its two GIN indexes (all papers; included papers) are rebuilt.
SQLite: the FTS5 table `papers_paper_fts` and its triggers, filled from every paper.
See apps/papers/search.py.
"""

from django.db import migrations

from apps.papers.search import install_search_index

OLD_VECTOR_SQL = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(author_names, '')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'C')"
)
INDEXES = (
    ("papers_paper_search_gin", ""),
    ("papers_paper_search_included_gin", "WHERE status = 'included'"),
)


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE papers_paper DROP COLUMN IF EXISTS search_vector")
        schema_editor.execute("ALTER TABLE papers_paper ADD COLUMN search_vector tsvector")
        # In the row, not TOASTed: ranking reads the vector of every candidate (see 0003).
        schema_editor.execute(
            "ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE MAIN"
        )
    install_search_index(schema_editor.connection)
    if schema_editor.connection.vendor == "postgresql":
        for name, where in INDEXES:
            schema_editor.execute(
                f"CREATE INDEX {name} ON papers_paper USING gin (search_vector) {where}"
            )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in (
            "DROP TRIGGER IF EXISTS papers_paper_search ON papers_paper",
            "DROP TRIGGER IF EXISTS papers_placement_search_insert ON papers_placement",
            "DROP TRIGGER IF EXISTS papers_placement_search_update ON papers_placement",
            "DROP TRIGGER IF EXISTS papers_placement_search_delete ON papers_placement",
            "DROP FUNCTION IF EXISTS sellm_paper_search_row()",
            "DROP FUNCTION IF EXISTS sellm_placement_search_rows()",
            "DROP FUNCTION IF EXISTS "
            "sellm_paper_search_vector(bigint, text, text, text, text, text, text)",
            "DROP FUNCTION IF EXISTS sellm_search_fold(text)",
            "ALTER TABLE papers_paper DROP COLUMN IF EXISTS search_vector",
            f"ALTER TABLE papers_paper ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({OLD_VECTOR_SQL}) STORED",
            "ALTER TABLE papers_paper ALTER COLUMN search_vector SET STORAGE MAIN",
        ):
            schema_editor.execute(statement)
        for name, where in INDEXES:
            schema_editor.execute(
                f"CREATE INDEX {name} ON papers_paper USING gin (search_vector) {where}"
            )
    elif vendor == "sqlite":
        from apps.papers.search import FTS_TABLE, SQLITE_TRIGGER_NAMES

        for name in SQLITE_TRIGGER_NAMES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


class Migration(migrations.Migration):
    dependencies = [("papers", "0005_record_links_and_enrichment")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
