"""Benchmark: `export_bibtex` streams in constant memory — peak memory exporting 1%, 9% and
100% of --papers (1,000, 9,000 and 100,000 by default), next to a naive export that builds
the whole file in memory (1% and 9% only: at 100% it would take gigabytes), same run.

    .venv/bin/python bench/bibtex_export.py [--papers 100000] [--tracemalloc]

Creates the database sellm_bibtex_bench (PostgreSQL on 127.0.0.1; BENCH_PG_URL changes the
server), fills it with papers (three authors, a category and an accepted placement each,
stored citation keys), runs each export in a fresh process (peak RSS from getrusage; with
--tracemalloc also peak Python allocations, which slows the run), and drops the database.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DB_NAME = "sellm_bibtex_bench"

# Run in a child process: one export, then its own peak memory as JSON on the last line.
CHILD = """
import json, resource, sys, time, tracemalloc, io
import django
django.setup()
from django.core.management import call_command
from apps.papers.bibtex import write_bibtex
from apps.papers.models import Paper
mode, status, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if trace:
    tracemalloc.start()
start = time.perf_counter()
if mode == "stream":
    call_command("export_bibtex", "--status", status, "-o", "/dev/null", stderr=io.StringIO())
    papers = Paper.objects.all() if status == "all" else Paper.objects.filter(status=status)
    count = papers.count()
else:  # the naive way: every paper in memory, then the whole file as one string
    papers = Paper.objects.for_list().order_by("-published_at", "-id")
    if status != "all":
        papers = papers.filter(status=status)
    text = "\\n".join(write_bibtex(list(papers)))
    with open("/dev/null", "w") as sink:
        sink.write(text)
    count = text.count("\\n@") + 1
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if trace else None
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"count": count, "seconds": seconds, "peak": peak, "rss_kb": rss}))
"""


def recreate_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')


def drop_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')


def populate(n: int) -> None:
    """n papers: the first 1% in the inbox, the next 9% excluded, the rest included."""
    from django.utils import timezone

    from apps.papers.models import Author, Authorship, Category, Paper, Placement
    from apps.taxonomy.models import Phase

    now = timezone.now()
    phase = Phase.objects.create(slug="testing", order=1, name="Testing and evaluation")
    category, _ = Category.objects.get_or_create(code="cs.SE")
    authors = Author.objects.bulk_create(
        [Author(name=f"Author {i} Müller", name_key=f"author {i} muller") for i in range(20000)],
        batch_size=5000,
    )
    batch = 5000
    for start in range(0, n, batch):
        papers = []
        for i in range(start, min(start + batch, n)):
            status = "inbox" if i < n // 100 else "excluded" if i < n // 10 else "included"
            papers.append(
                Paper(
                    title=f"Testing {{LLM}} agents & tools, part {i}: 50% faster",
                    title_key=f"testing llm agents tools part {i} 50 faster",
                    abstract="We study how large language models test software. " * 8,
                    author_names=f"Author {i % 20000} Müller; Author {(i + 1) % 20000} Müller",
                    arxiv_id=f"{2400 + i // 100000:04d}.{i % 100000:05d}" if i % 2 else None,
                    doi=f"10.1145/{1000000 + i}" if i % 3 else None,
                    year=2020 + i % 6,
                    venue="ICSE" if i % 4 == 0 else "",
                    primary_category="cs.SE",
                    bibtex_key=f"paper{i}",
                    bibtex_type="inproceedings" if i % 4 == 0 else "",
                    bibtex_fields={"pages": "1--10", "publisher": "ACM"} if i % 4 == 0 else {},
                    status=status,
                    status_reason="off topic" if status == "excluded" else "",
                    included_at=now if status == "included" else None,
                    source="bibtex",
                    published_at=now,
                )
            )
        Paper.objects.bulk_create(papers, batch_size=batch)
        Authorship.objects.bulk_create(
            [
                Authorship(paper=p, author=authors[(p.pk + k) % len(authors)], position=k)
                for p in papers
                for k in range(3)
            ],
            batch_size=batch,
        )
        Paper.categories.through.objects.bulk_create(
            [Paper.categories.through(paper_id=p.pk, category_id=category.pk) for p in papers],
            batch_size=batch,
        )
        Placement.objects.bulk_create(
            [
                Placement(paper=p, phase=phase, origin="curator", review_state="accepted")
                for p in papers
            ],
            batch_size=batch,
        )


def measure(mode: str, status: str, env: dict, trace: bool) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", CHILD, mode, status, "1" if trace else "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100000)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    args = parser.parse_args()

    recreate_database()
    base = ADMIN_URL.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "DATABASE_URL": f"{base}/{DB_NAME}",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only"),
        "DJANGO_SETTINGS_MODULE": "sellm.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")})
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections

        call_command("migrate", verbosity=0)
        start = time.perf_counter()
        populate(args.papers)
        print(
            f"{args.papers} papers stored in {time.perf_counter() - start:.0f} s; Python "
            f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores"
        )
        connections.close_all()
        print(f"{'export':<34} {'papers':>8} {'seconds':>8} {'peak RSS':>10} {'Python peak':>12}")
        # The naive baseline stops at a tenth of the papers: at 100,000 it would hold
        # gigabytes on a machine shared with others.
        rows = [
            ("stream", "inbox"),
            ("stream", "excluded"),
            ("stream", "all"),
            ("naive", "inbox"),
            ("naive", "excluded"),
        ]
        for mode, status in rows:
            figures = measure(mode, status, env, args.tracemalloc)
            label = "export_bibtex (streaming)" if mode == "stream" else "naive (list, then join)"
            traced = f"{figures['peak'] / 1e6:>9.1f} MB" if figures["peak"] is not None else ""
            print(
                f"{label:<34} {figures['count']:>8} {figures['seconds']:>8.1f} "
                f"{figures['rss_kb'] / 1024:>7.0f} MB {traced:>12}"
            )
    finally:
        from django.db import connections

        connections.close_all()
        drop_database()


if __name__ == "__main__":
    main()
