"""The backups the README documents restore: pg_dump in custom format into a scratch
database with pg_restore, the JSON export (dumpdata) loaded into a freshly migrated database,
and the BibTeX export holding every included paper. PostgreSQL only; uses the client tools
pg_dump and pg_restore, and the databases sellm_sec_backup and sellm_sec_restore."""

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection
from psycopg import sql

from apps.core.services import curator_create
from apps.ingestion.models import IngestRun
from apps.listings.services import listing_freeze
from apps.papers.models import Paper
from apps.papers.search import SEARCH_CONFIG
from apps.taxonomy.models import Challenge, Phase
from tests.factories import PaperFactory, PlacementFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
TABLES = (
    "taxonomy_phase",
    "taxonomy_challenge",
    "papers_paper",
    "papers_placement",
    "auth_user",
    "listings_listing",
    "listings_listingentry",
)
APP_DATA = ["auth.user", "auth.group", "taxonomy", "papers", "ingestion", "listings"]


def server() -> dict:
    settings = connection.settings_dict
    return {
        "host": settings["HOST"] or "127.0.0.1",
        "port": str(settings["PORT"] or 5432),
        "user": settings["USER"] or "postgres",
        "password": settings["PASSWORD"] or "",
    }


def url(name: str) -> str:
    s = server()
    credentials = s["user"] + (f":{s['password']}" if s["password"] else "")
    return f"postgres://{credentials}@{s['host']}:{s['port']}/{name}"


def recreate(name: str) -> None:
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def drop(name: str) -> None:
    with psycopg.connect(url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        count = sql.SQL("SELECT count(*) FROM {}")
        return {t: conn.execute(count.format(sql.Identifier(t))).fetchone()[0] for t in TABLES}


def summary(database_url: str) -> list[tuple]:
    """The summary of public counts (papers.PaperCount), in a fixed order."""
    with psycopg.connect(database_url) as conn:
        return conn.execute(
            "SELECT dimension, item, year, papers FROM papers_papercount WHERE papers <> 0"
            " ORDER BY 1, 2, 3"
        ).fetchall()


def pg_env() -> dict:
    s = server()
    return {
        **os.environ,
        "PGHOST": s["host"],
        "PGPORT": s["port"],
        "PGUSER": s["user"],
        "PGPASSWORD": s["password"],
    }


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="tests.settings")
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )


@pytest.fixture
def knowledge_base(survey) -> None:  # type: ignore[no-untyped-def]
    """The survey, plus curated papers, a placement and a run, committed for other processes."""
    curator = curator_create(username="keeper", email="k@example.org", password="keeper-pass")
    challenge = Challenge.objects.order_by("pk").first()
    for paper in PaperFactory.create_batch(5, authors=2):
        PlacementFactory(paper=paper, challenge=challenge, reviewed_by=curator)
    IngestRun.objects.create(kind=IngestRun.Kind.ARXIV_IDS, parameters={"ids": ["2401.00001"]})
    for _ in range(2):  # two versions of a frozen listing
        listing_freeze(title="Kept", query=f"challenge={challenge.slug}", actor=curator)


@pytest.fixture
def scratch():  # type: ignore[no-untyped-def]
    names = ["sellm_sec_backup", "sellm_sec_restore"]
    yield names
    for name in names:
        drop(name)


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="needs the PostgreSQL client tools")
def test_pg_dump_in_custom_format_restores_into_an_empty_database(
    knowledge_base, scratch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    dump = tmp_path / "sellm.dump"
    source = connection.settings_dict["NAME"]
    recreate("sellm_sec_backup")

    subprocess.run(
        ["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", source],
        env=pg_env(),
        check=True,
        timeout=120,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", "--dbname=sellm_sec_backup", str(dump)],
        env=pg_env(),
        check=True,
        timeout=120,
    )

    restored = counts(url("sellm_sec_backup"))
    assert restored == counts(url(source))
    assert restored["papers_paper"] >= 5
    with psycopg.connect(url("sellm_sec_backup")) as conn:  # full-text search works there too
        hits = conn.execute(
            "SELECT count(*) FROM papers_paper"
            " WHERE search_vector @@ plainto_tsquery(%s::regconfig, 'testing language models')",
            [SEARCH_CONFIG],
        ).fetchone()[0]
    assert hits >= 5


def test_the_json_export_loads_into_a_freshly_migrated_database(
    knowledge_base, scratch, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "sellm.json.gz"
    source = connection.settings_dict["NAME"]
    recreate("sellm_sec_restore")

    call_command(
        "dumpdata",
        *APP_DATA,
        "--natural-foreign",
        "--natural-primary",
        "--exclude=papers.papercount",  # derived: rebuilt after the load (README)
        f"--output={export}",
        stdout=io.StringIO(),
    )
    manage("migrate", "--noinput", database_url=url("sellm_sec_restore"))
    loaded = manage("loaddata", str(export), database_url=url("sellm_sec_restore"))
    manage("recount_papers", database_url=url("sellm_sec_restore"))

    assert "Installed" in loaded.stdout
    assert counts(url("sellm_sec_restore")) == counts(url(source))
    assert summary(url("sellm_sec_restore")) == summary(url(source))
    assert summary(url(source))  # the knowledge base has public counts to compare
    with psycopg.connect(url("sellm_sec_restore")) as conn:
        placements = conn.execute(
            "SELECT count(*) FROM papers_placement p JOIN auth_user u ON u.id = p.reviewed_by_id"
            " WHERE u.username = 'keeper'"
        ).fetchone()[0]
    assert placements == 5
    assert Phase.objects.count() == 6  # the survey's six phases came along


def test_the_bibtex_export_holds_every_included_paper(knowledge_base, tmp_path) -> None:  # type: ignore[no-untyped-def]
    export = tmp_path / "sellm.bib"

    call_command("export_bibtex", "--status", "all", "-o", str(export), stdout=io.StringIO())

    text = export.read_text(encoding="utf-8")
    assert text.count("\n@") + text.startswith("@") == Paper.objects.count()
