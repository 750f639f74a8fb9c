"""Benchmark: `manage.py import_bibtex` on a generated file shaped like a real library,
into PostgreSQL, next to bibtexparser's own parse of the same file, measured in the same run.

    .venv/bin/python bench/bibtex_import.py [--entries 20000] [--repeat 3] [--profile]

The file (bench/shapes.py) has the author lists of a real 7,166-entry physics library: median
5 authors, p90 10, up to 129, about 3 distinct people per entry; a reference manager's fields.
The import is the command users run (`call_command("import_bibtex", path)`: read, parse,
upsert, suggestions after commit, the report printed), into an empty base each time
(truncated between runs), then once more on the same file (every entry unchanged).

Creates the database sellm_bench_bibtex (PostgreSQL on 127.0.0.1 by default; set
BENCH_PG_URL to the server's admin URL to change it), migrates it, loads the survey (so
suggestions have a taxonomy to score against), imports, and drops it. Rates are best of
--repeat runs (the machine is shared: the best run is the least disturbed).
"""

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 - after the path that makes bench importable
    Figure,
    configure_django,
    drop_database,
    recreate_database,
)
from bench.shapes import bibtex_file  # noqa: E402

DB_NAME = "sellm_bench_bibtex"


def generate(n: int, seed: int = 14) -> str:
    """A file shaped like a real library (bench/shapes.py): long-tailed author lists of
    mostly distinct people, a reference manager's field mix."""
    return bibtex_file(n, seed)[0]


def best(label: str, runs: list[float], n: int) -> float:
    rate = n / min(runs)
    print(f"  {label:<46} {rate:>8.0f} entries/s  (best of {len(runs)}: {min(runs):.2f} s)")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="print where one import spends")
    parser.add_argument(
        "--server-side-binding",
        action="store_true",
        help="let PostgreSQL bind query parameters (psycopg 3) instead of quoting them in Python",
    )
    args = parser.parse_args()
    run(args.entries, args.repeat, profile=args.profile, binding=args.server_side_binding)


def run(
    entries: int = 20000, repeat: int = 3, *, profile: bool = False, binding: bool = False
) -> list[Figure]:
    """Rates of bibtexparser, our parse, an import and a re-import; drops its database after."""
    try:
        # A whole library in one file, as a researcher's export is: 20,000 real-shaped entries
        # are ~26 MB, over the upload limit (BIBTEX_MAX_BYTES), which the command honours too.
        configure_django(recreate_database(DB_NAME), BIBTEX_MAX_BYTES=str(256 * 1024 * 1024))
        return measure(entries, repeat, profile, binding)
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DB_NAME)


def measure(entries: int, repeat: int, profile: bool, server_side_binding: bool) -> list[Figure]:
    from django.conf import settings
    from django.db import connections

    if server_side_binding:  # a what-if for the settings; not what sellm runs with
        connections.close_all()
        settings.DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = True
    import bibtexparser
    from bibtexparser.middlewares import LatexDecodingMiddleware
    from django.core.management import call_command
    from django.db import connection

    from apps.ingestion.bibtex.parser import parse_bibtex
    from apps.papers.models import Placement

    call_command("migrate", verbosity=0)
    call_command("load_survey", stdout=io.StringIO())  # the taxonomy suggestions score on
    text, shape = bibtex_file(entries)
    n = entries
    print(
        f"{n} entries, {len(text) / 1e6:.1f} MB; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )
    print(
        f"authors per entry: median {shape['median']}, p90 {shape['p90']}, max {shape['max']}; "
        f"{shape['authorships']:,} authorships of {shape['people']:,} people "
        f"({shape['people_per_entry']} per entry)"
    )
    directory = tempfile.TemporaryDirectory()
    path = Path(directory.name) / "library.bib"
    path.write_text(text, encoding="utf-8")

    def timed(fn) -> float:  # type: ignore[no-untyped-def]
        gc.collect()
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start

    def truncate() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE papers_paper, papers_author, papers_historicalpaper, "
                "papers_historicalauthor, papers_category RESTART IDENTITY CASCADE"
            )

    summaries: list[str] = []

    def command() -> None:
        """What a user runs: `manage.py import_bibtex FILE` (its report to a buffer)."""
        out = io.StringIO()
        call_command("import_bibtex", str(path), stdout=out)
        summaries.append(out.getvalue().strip().splitlines()[-1])

    parse_runs, ours_runs, import_runs, again_runs = [], [], [], []
    for _ in range(repeat):  # interleaved, so a busy moment hits every measure alike
        parse_runs.append(timed(lambda: bibtexparser.parse_string(text)))
        ours_runs.append(timed(lambda: parse_bibtex(text)))
        truncate()
        import_runs.append(timed(command))
        again_runs.append(timed(command))
    suggested = Placement.objects.filter(origin=Placement.Origin.SUGGESTED).count()

    sample = "".join(text.split("\n@")[:1] + ["\n@" + b for b in text.split("\n@")[1:501]])
    latex_runs = [
        timed(
            lambda: bibtexparser.parse_string(sample, append_middleware=[LatexDecodingMiddleware()])
        )
    ]

    print("rates (higher is better):")
    parse_rate = best("bibtexparser.parse_string (default stack)", parse_runs, n)
    latex_rate = best("bibtexparser + LatexDecodingMiddleware (500)", latex_runs, 500)
    ours_rate = best("our parse (records, accents decoded)", ours_runs, n)
    import_rate = best("import_bibtex into empty PostgreSQL", import_runs, n)
    again_rate = best("import_bibtex again, every entry unchanged", again_runs, n)
    print(f"import: {summaries[0]}; again: {summaries[1]}; {suggested:,} suggested placements")
    print(f"our parse / bibtexparser parse: {ours_rate / parse_rate:.0%}")
    print(f"import / bibtexparser parse:    {import_rate / parse_rate:.0%}  (target ≥ 50%)")

    if profile:
        truncate()
        profiler = cProfile.Profile()
        profiler.enable()
        command()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        print(out.getvalue())
    directory.cleanup()

    baseline = f"bibtexparser parse_string, default stack ({n} entries, best of {repeat})"

    size = (
        f"{n:,} entries, {len(text) / 1e6:.0f} MB; authors per entry median {shape['median']}, "
        f"p90 {shape['p90']}, max {shape['max']}; {shape['people_per_entry']} people per entry"
    )

    def figure(key: str, name: str, rate: float, target: str = "") -> Figure:
        met = rate >= 0.5 * parse_rate if target else None
        return Figure(
            f"bibtex.{key}", name, rate, "entries/s", baseline, parse_rate, target, met, size
        )

    return [
        figure("import.parse", "our parse: accents decoded, names split, ids found", ours_rate),
        figure(
            "import.new",
            "`import_bibtex` into an empty PostgreSQL (real-shaped file, suggestions included)",
            import_rate,
            "≥ 50% of baseline",
        ),
        figure("import.again", "`import_bibtex` again (every entry unchanged)", again_rate),
        figure("import.pylatexenc", "bibtexparser + LatexDecodingMiddleware (500)", latex_rate),
    ]


if __name__ == "__main__":
    main()
