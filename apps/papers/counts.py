# ruff: noqa: S608 - SQL assembled from this module's constants; no user text reaches it
"""The summary of public counts (issue 14): included papers per (dimension, item, year), kept
exact by database triggers so that overview pages read a few dozen rows instead of grouping
the whole paper table on every request.

Dimensions: `all` (item ""), `phase`, `challenge`, `direction` (item: the taxonomy row's id)
and `category` (item: the arXiv code); year 0 stands for papers without a year. A paper counts
once per phase however many of its accepted placements name that phase.

Why triggers: every write path (services, admin, bulk updates, merges, COPY loads, a curator's
SQL) moves the counts with it, on both databases, in the writer's own transaction, so the
summary cannot go stale and nothing has to remember to update it. PostgreSQL uses
statement-level triggers with transition tables (a multi-row UPDATE sees its own rows only at
the end of the statement, so per-row "is there another placement?" checks would miss); SQLite
fires row triggers as each row changes, so row-level triggers are exact there. Every trigger
adds signed deltas to the cells it touches (ordered by cell, so two writers lock rows in the
same order). `counts_recompute()` rebuilds the summary from scratch: after a bulk load and as
a repair tool (`manage.py recount_papers`).
"""

import logging
from collections import defaultdict

from django.db import connection as default_connection
from django.db import transaction

logger = logging.getLogger(__name__)

TABLE = "papers_papercount"
UNKNOWN_YEAR = 0
TAXONOMY = (("phase", "phase_id"), ("challenge", "challenge_id"), ("direction", "direction_id"))
# Three triggers per table (a trigger with transition tables takes one event).
TRIGGER_TABLES = {"paper": "papers_paper", "placement": "papers_placement",
                  "category": "papers_paper_categories"}  # fmt: skip
EVENTS = ("insert", "update", "delete")
PG_TRIGGERS = {
    f"papers_counts_{kind}_{event}": (table, event.upper(), f"sellm_counts_{kind}_{event}")
    for kind, table in TRIGGER_TABLES.items()
    for event in EVENTS
}
SQLITE_TRIGGER_NAMES = tuple(PG_TRIGGERS)

_PG_APPLY = f"""
INSERT INTO {TABLE} (dimension, item, year, papers)
SELECT dimension, item, year, sum(d) FROM deltas GROUP BY dimension, item, year
HAVING sum(d) <> 0 ORDER BY dimension, item, year
ON CONFLICT (dimension, item, year) DO UPDATE SET papers = {TABLE}.papers + EXCLUDED.papers
"""


def _pg_contributions(source: str) -> str:
    """Deltas of every cell the papers of `source` (paper_id, year, d) count in."""
    return f"""
WITH s AS ({source}),
deltas AS (
  SELECT 'all'::text AS dimension, ''::text AS item, s.year, s.d FROM s
  UNION ALL
  SELECT 'phase', pl.phase_id::text, s.year, s.d FROM s JOIN (
    SELECT DISTINCT paper_id, phase_id FROM papers_placement
    WHERE review_state = 'accepted' AND paper_id IN (SELECT paper_id FROM s)
  ) pl ON pl.paper_id = s.paper_id
  UNION ALL
  SELECT 'challenge', pl.challenge_id::text, s.year, s.d FROM s JOIN papers_placement pl
    ON pl.paper_id = s.paper_id AND pl.review_state = 'accepted' AND pl.challenge_id IS NOT NULL
  UNION ALL
  SELECT 'direction', pl.direction_id::text, s.year, s.d FROM s JOIN papers_placement pl
    ON pl.paper_id = s.paper_id AND pl.review_state = 'accepted' AND pl.direction_id IS NOT NULL
  UNION ALL
  SELECT 'category', pc.category_id::text, s.year, s.d FROM s
    JOIN papers_paper_categories pc ON pc.paper_id = s.paper_id
)
{_PG_APPLY}"""


def _pg_placements(old: str | None, new: str | None) -> str:
    """Deltas of a statement on placements: for each (paper, phase | challenge | direction)
    it touched, whether the paper is counted there now minus whether it was before (the
    rows the statement did not touch, plus the old versions of those it did)."""
    empty = "SELECT * FROM papers_placement WHERE false"
    old_rows, new_rows = old or empty, new or empty
    parts = []
    for dimension, column in TAXONOMY:
        accepted = (
            f"c.paper_id = t.paper_id AND c.{column} = t.item AND c.review_state = 'accepted'"
        )
        parts.append(f"""
  SELECT '{dimension}'::text AS dimension, t.item::text AS item, coalesce(p.year, 0) AS year,
    (EXISTS (SELECT 1 FROM papers_placement c WHERE {accepted}))::int
    - (EXISTS (SELECT 1 FROM papers_placement c WHERE {accepted}
               AND c.id NOT IN (SELECT id FROM changed))
       OR EXISTS (SELECT 1 FROM o WHERE o.paper_id = t.paper_id AND o.{column} = t.item))::int
    AS d
  FROM (SELECT paper_id, {column} AS item FROM o WHERE {column} IS NOT NULL
        UNION SELECT paper_id, {column} FROM n WHERE {column} IS NOT NULL) t
  JOIN papers_paper p ON p.id = t.paper_id AND p.status = 'included'""")
    return f"""
WITH o AS (SELECT * FROM ({old_rows}) r WHERE review_state = 'accepted'),
n AS (SELECT * FROM ({new_rows}) r WHERE review_state = 'accepted'),
changed AS (SELECT id FROM ({old_rows}) r UNION SELECT id FROM ({new_rows}) r),
deltas AS ({" UNION ALL ".join(parts)})
{_PG_APPLY}"""


def _pg_categories(rows: list[tuple[str, int]]) -> str:
    """Deltas of a statement on category links: each link of an included paper, signed."""
    selects = " UNION ALL ".join(
        f"SELECT r.category_id::text AS item, coalesce(p.year, 0) AS year, {sign} AS d "
        f"FROM {source} r JOIN papers_paper p ON p.id = r.paper_id AND p.status = 'included'"
        for source, sign in rows
    )
    return f"""
WITH deltas AS (SELECT 'category'::text AS dimension, item, year, d FROM ({selects}) x)
{_PG_APPLY}"""


# Papers whose inclusion or year the statement changed (any other edit counts nowhere).
_PAPER_CHANGED = """FROM old_rows o JOIN new_rows n ON n.id = o.id
  WHERE ((o.status = 'included') IS DISTINCT FROM (n.status = 'included')
     OR o.year IS DISTINCT FROM n.year)"""

_PG_BODIES = {
    "sellm_counts_paper_insert": _pg_contributions(
        "SELECT id AS paper_id, coalesce(year, 0) AS year, 1 AS d FROM new_rows "
        "WHERE status = 'included'"
    ),
    "sellm_counts_paper_delete": _pg_contributions(
        "SELECT id AS paper_id, coalesce(year, 0) AS year, -1 AS d FROM old_rows "
        "WHERE status = 'included'"
    ),
    "sellm_counts_paper_update": _pg_contributions(
        "SELECT o.id AS paper_id, coalesce(o.year, 0) AS year, -1 AS d "
        f"{_PAPER_CHANGED} AND o.status = 'included' "
        "UNION ALL "
        f"SELECT n.id, coalesce(n.year, 0), 1 {_PAPER_CHANGED} AND n.status = 'included'"
    ),
    "sellm_counts_placement_insert": _pg_placements(None, "SELECT * FROM new_rows"),
    "sellm_counts_placement_update": _pg_placements(
        "SELECT * FROM old_rows", "SELECT * FROM new_rows"
    ),
    "sellm_counts_placement_delete": _pg_placements("SELECT * FROM old_rows", None),
    "sellm_counts_category_insert": _pg_categories([("new_rows", 1)]),
    "sellm_counts_category_update": _pg_categories([("old_rows", -1), ("new_rows", 1)]),
    "sellm_counts_category_delete": _pg_categories([("old_rows", -1)]),
}


def _pg_statements() -> list[str]:
    statements = []
    for name, (table, event, function) in PG_TRIGGERS.items():
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{_PG_BODIES[function]};\nRETURN NULL;\nEND\n$$",
            f"DROP TRIGGER IF EXISTS {name} ON {table}",
        ]
        referencing = {
            "INSERT": "NEW TABLE AS new_rows",
            "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "DELETE": "OLD TABLE AS old_rows",
        }[event]
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )
    return statements


_SQLITE_APPLY = (
    "ON CONFLICT (dimension, item, year) DO UPDATE SET papers = papers + excluded.papers"
)


def _sqlite_contributions(row: str, sign: int) -> str:
    """Add `sign` to every cell the paper `row` (old or new) counts in, if it is included."""
    placed = f"FROM papers_placement WHERE paper_id = {row}.id AND review_state = 'accepted'"
    return f"""
INSERT INTO {TABLE} (dimension, item, year, papers)
SELECT dimension, item, coalesce({row}.year, 0), {sign} FROM (
  SELECT 'all' AS dimension, '' AS item
  UNION ALL SELECT DISTINCT 'phase', CAST(phase_id AS TEXT) {placed}
  UNION ALL SELECT 'challenge', CAST(challenge_id AS TEXT) {placed} AND challenge_id IS NOT NULL
  UNION ALL SELECT 'direction', CAST(direction_id AS TEXT) {placed} AND direction_id IS NOT NULL
  UNION ALL SELECT 'category', category_id FROM papers_paper_categories WHERE paper_id = {row}.id
) WHERE {row}.status = 'included'
{_SQLITE_APPLY};"""


def _sqlite_placement(row: str, sign: int) -> str:
    """Add `sign` where placement `row` (old or new) is the paper's only accepted one."""
    parts = []
    for dimension, column in TAXONOMY:
        parts.append(
            f"SELECT '{dimension}' AS dimension, CAST({row}.{column} AS TEXT) AS item "
            f"WHERE {row}.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM papers_placement c "
            f"WHERE c.paper_id = {row}.paper_id AND c.{column} = {row}.{column} "
            f"AND c.review_state = 'accepted' AND c.id <> {row}.id)"
        )
    return f"""
INSERT INTO {TABLE} (dimension, item, year, papers)
SELECT t.dimension, t.item, coalesce(p.year, 0), {sign} FROM ({" UNION ALL ".join(parts)}) t
JOIN papers_paper p ON p.id = {row}.paper_id AND p.status = 'included'
WHERE {row}.review_state = 'accepted'
{_SQLITE_APPLY};"""


def _sqlite_category(row: str, sign: int) -> str:
    return f"""
INSERT INTO {TABLE} (dimension, item, year, papers)
SELECT 'category', {row}.category_id, coalesce(p.year, 0), {sign} FROM papers_paper p
WHERE p.id = {row}.paper_id AND p.status = 'included'
{_SQLITE_APPLY};"""


def _sqlite_triggers() -> dict[str, str]:
    paper_changed = (
        "(old.status = 'included') <> (new.status = 'included') OR old.year IS NOT new.year"
    )
    return {
        "papers_counts_paper_insert": "AFTER INSERT ON papers_paper WHEN new.status = 'included' "
        f"BEGIN {_sqlite_contributions('new', 1)} END",
        "papers_counts_paper_update": f"AFTER UPDATE OF status, year ON papers_paper "
        f"WHEN {paper_changed} BEGIN {_sqlite_contributions('old', -1)} "
        f"{_sqlite_contributions('new', 1)} END",
        "papers_counts_paper_delete": "AFTER DELETE ON papers_paper WHEN old.status = 'included' "
        f"BEGIN {_sqlite_contributions('old', -1)} END",
        "papers_counts_placement_insert": "AFTER INSERT ON papers_placement "
        f"BEGIN {_sqlite_placement('new', 1)} END",
        "papers_counts_placement_update": "AFTER UPDATE ON papers_placement "
        f"BEGIN {_sqlite_placement('old', -1)} {_sqlite_placement('new', 1)} END",
        "papers_counts_placement_delete": "AFTER DELETE ON papers_placement "
        f"BEGIN {_sqlite_placement('old', -1)} END",
        "papers_counts_category_insert": "AFTER INSERT ON papers_paper_categories "
        f"BEGIN {_sqlite_category('new', 1)} END",
        "papers_counts_category_update": "AFTER UPDATE ON papers_paper_categories "
        f"BEGIN {_sqlite_category('old', -1)} {_sqlite_category('new', 1)} END",
        "papers_counts_category_delete": "AFTER DELETE ON papers_paper_categories "
        f"BEGIN {_sqlite_category('old', -1)} END",
    }


def _taxonomy_recount(dimension: str, column: str) -> str:
    return (
        f"SELECT '{dimension}', CAST(pl.{column} AS TEXT), coalesce(p.year, 0), "
        "count(DISTINCT pl.paper_id) FROM papers_placement pl "
        "JOIN papers_paper p ON p.id = pl.paper_id "
        f"WHERE p.status = 'included' AND pl.review_state = 'accepted' AND pl.{column} IS NOT NULL "
        f"GROUP BY pl.{column}, coalesce(p.year, 0)"
    )


RECOUNT_SQL = f"""
INSERT INTO {TABLE} (dimension, item, year, papers)
SELECT 'all', '', coalesce(year, 0), count(*) FROM papers_paper WHERE status = 'included'
GROUP BY coalesce(year, 0)
UNION ALL {" UNION ALL ".join(_taxonomy_recount(d, c) for d, c in TAXONOMY)}
UNION ALL
SELECT 'category', pc.category_id, coalesce(p.year, 0), count(*)
FROM papers_paper_categories pc JOIN papers_paper p ON p.id = pc.paper_id
WHERE p.status = 'included' GROUP BY pc.category_id, coalesce(p.year, 0)
"""


def install_count_triggers(connection=default_connection) -> None:  # type: ignore[no-untyped-def]
    """Create (or replace) the triggers that keep the summary exact. Idempotent."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for statement in _pg_statements():
                cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for name, body in _sqlite_triggers().items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
                cursor.execute(f"CREATE TRIGGER {name} {body}")


def drop_count_triggers(connection=default_connection) -> None:  # type: ignore[no-untyped-def]
    """Remove the triggers (the migration's way back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, (table, _event, function) in PG_TRIGGERS.items():
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {function}()")
        elif connection.vendor == "sqlite":
            for name in SQLITE_TRIGGER_NAMES:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def counts_recompute(connection=default_connection) -> int:  # type: ignore[no-untyped-def]
    """Rebuild the summary from the papers, placements and category links; returns its
    rows. Safe to call any time, twice or concurrently with writers: on PostgreSQL the table
    lock waits for open writers to commit and holds new ones until the rebuild commits."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {TABLE} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")
        cursor.execute(RECOUNT_SQL)
        cursor.execute(f"SELECT count(*) FROM {TABLE}")
        return int(cursor.fetchone()[0])


def count_triggers_missing(connection=default_connection) -> bool:  # type: ignore[no-untyped-def]
    """True when a trigger is gone (SQLite drops a table's triggers when a migration rebuilds
    the table)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname = ANY(%s)", [list(PG_TRIGGERS)]
            )
            return int(cursor.fetchone()[0]) < len(PG_TRIGGERS)
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            found = {row[0] for row in cursor.fetchall()}
            return not set(SQLITE_TRIGGER_NAMES) <= found
    return False


def ensure_counts(using: str = "default", **kwargs: object) -> None:
    """post_migrate (and so after a test database flush): reinstall the triggers and rebuild
    the summary when a trigger is missing, or when counts outlive every paper (SQLite's flush
    deletes the tables one by one, in no set order, so the triggers may count the deletes)."""
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    recorder = MigrationRecorder(connection)
    if (
        not recorder.has_table()
        or not recorder.migration_qs.filter(app="papers", name="0010_paper_counts").exists()
    ):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT EXISTS (SELECT 1 FROM {TABLE}) AND NOT EXISTS (SELECT 1 FROM papers_paper)"
        )
        orphaned = bool(cursor.fetchone()[0])
    missing = count_triggers_missing(connection)
    if missing:
        logger.warning("paper count triggers missing on %s: reinstalling", using)
    if missing or orphaned:
        with transaction.atomic(using=using):
            install_count_triggers(connection)
            counts_recompute(connection)


# --- reads ----------------------------------------------------------------------------------


def summary_rows(dimension: str, *, year: int | None = None) -> list[tuple[str, int | None, int]]:
    """(item, year, papers) of one dimension, optionally of one year; year None: unknown.
    One query over a few hundred rows at most."""
    from apps.papers.models import PaperCount

    rows = PaperCount.objects.filter(dimension=dimension, papers__gt=0)
    if year is not None:
        rows = rows.filter(year=year)
    return [
        (item, None if y == UNKNOWN_YEAR else y, n)
        for item, y, n in rows.order_by().values_list("item", "year", "papers")
    ]


def summary_totals(dimension: str, *, year: int | None = None) -> dict[str, int]:
    """Papers per item of one dimension, over every year or one."""
    totals: dict[str, int] = defaultdict(int)
    for item, _year, n in summary_rows(dimension, year=year):
        totals[item] += n
    return dict(totals)
