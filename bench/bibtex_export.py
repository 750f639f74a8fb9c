"""Benchmark: `export_bibtex` streams in constant memory — peak memory exporting the inbox
(12% of the shared corpus) and every paper, next to a naive export that builds the whole file
in memory (the inbox only: at 100% it would take gigabytes), same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sellm_bench_corpus \
        .venv/bin/python bench/bibtex_export.py [--tracemalloc]

Needs a database filled by bench/api_generate.py (bench/run.py builds it). First it stores a
citation key on every paper that has none, as a first export would; the exports then only
read. Each export runs in a fresh process (peak RSS from getrusage; with --tracemalloc
also peak Python allocations, which slows the run).
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Figure  # noqa: E402 - after the path that makes bench importable

# Run in a child process: one export, then its own peak memory as JSON on the last line.
CHILD = """
import json, resource, sys, time, tracemalloc, io
import django
django.setup()
from django.core.management import call_command
from apps.papers.bibtex import write_bibtex
from apps.papers.models import Paper
from apps.papers.relations import attach_relations
mode, status, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
if trace:
    tracemalloc.start()
start = time.perf_counter()
if mode == "assign":  # what a first export does: store a key on every paper without one
    from apps.papers.services.citation_keys import citation_keys_assign
    keyless = Paper.objects.filter(bibtex_key="").values_list("pk", flat=True)
    count = citation_keys_assign(paper_ids=list(keyless))
elif mode == "stream":
    call_command("export_bibtex", "--status", status, "-o", "/dev/null", stderr=io.StringIO())
    papers = Paper.objects.all() if status == "all" else Paper.objects.filter(status=status)
    count = papers.count()
else:  # the naive way: every paper in memory, then the whole file as one string
    papers = Paper.objects.order_by("-published_at", "-id")
    if status != "all":
        papers = papers.filter(status=status)
    text = "\\n".join(write_bibtex(attach_relations(papers)))
    with open("/dev/null", "w") as sink:
        sink.write(text)
    count = text.count("\\n@") + 1
seconds = time.perf_counter() - start
peak = tracemalloc.get_traced_memory()[1] if trace else None
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"count": count, "seconds": seconds, "peak": peak, "rss_kb": rss}))
"""


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


def vacuum(database: str, table: str) -> None:
    import psycopg

    with psycopg.connect(database, autocommit=True) as connection:
        connection.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace Python allocations (slower)"
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Point DATABASE_URL at the database bench/api_generate.py filled.")
    run(os.environ["DATABASE_URL"], tracemalloc=args.tracemalloc)


def run(database: str, *, tracemalloc: bool = False) -> list[Figure]:
    """Peak RSS and time of streamed and naive exports, each in its own process."""
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only"),
        "DJANGO_SETTINGS_MODULE": "sellm.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    # A first export stores a citation key on every paper that has none; done once before
    # measuring, so every export below (and a rerun) reads the same database.
    assigned = measure("assign", "all", env, False)
    print(f"citation keys stored on {assigned['count']} papers in {assigned['seconds']:.0f} s")
    # Storing them rewrote every row of the shared corpus: vacuumed, so that the benchmarks
    # after this one (and a --reuse-corpus run) read a table whose index-only scans still
    # skip the heap, as on a live site that autovacuum keeps.
    vacuum(database, "papers_paper")
    print(f"{'export':<34} {'papers':>8} {'seconds':>8} {'peak RSS':>10} {'Python peak':>12}")
    results = {}
    for mode, status in [("stream", "inbox"), ("stream", "all"), ("naive", "inbox")]:
        figures = results[mode, status] = measure(mode, status, env, tracemalloc)
        label = "export_bibtex (streaming)" if mode == "stream" else "naive (list, then join)"
        traced = f"{figures['peak'] / 1e6:>9.1f} MB" if figures["peak"] is not None else ""
        print(
            f"{label:<34} {figures['count']:>8} {figures['seconds']:>8.1f} "
            f"{figures['rss_kb'] / 1024:>7.0f} MB {traced:>12}"
        )

    def mb(mode: str, status: str) -> float:
        return results[mode, status]["rss_kb"] / 1024

    def rate(mode: str, status: str) -> float:
        return results[mode, status]["count"] / results[mode, status]["seconds"]

    def papers(mode: str, status: str) -> str:
        return f"{results[mode, status]['count']:,} papers"

    everything = papers("stream", "all")
    flat = mb("stream", "all") <= 1.2 * mb("stream", "inbox")
    return [
        Figure(
            "export.stream.all.rss",
            f"export_bibtex, streamed, peak RSS ({everything})",
            mb("stream", "all"),
            "MB",
            f"export_bibtex, streamed, peak RSS ({papers('stream', 'inbox')})",
            mb("stream", "inbox"),
            target="flat: ≤ 1.2x baseline",
            met=flat,
        ),
        Figure(
            "export.naive.inbox.rss",
            f"naive export (list, then join), peak RSS ({papers('naive', 'inbox')})",
            mb("naive", "inbox"),
            "MB",
            f"export_bibtex, streamed, peak RSS ({papers('stream', 'inbox')})",
            mb("stream", "inbox"),
        ),
        Figure(
            "export.stream.all.rate",
            f"export_bibtex, streamed ({everything})",
            rate("stream", "all"),
            "papers/s",
            f"naive export ({papers('naive', 'inbox')})",
            rate("naive", "inbox"),
        ),
    ]


if __name__ == "__main__":
    main()
