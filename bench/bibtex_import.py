"""Benchmark: importing a generated 20,000-entry BibTeX file into PostgreSQL, next to
bibtexparser's own parse of the same file, measured in the same run.

    .venv/bin/python bench/bibtex_import.py [--entries 20000] [--repeat 3]

Creates the database sellm_bench_bibtex (PostgreSQL on 127.0.0.1 by default; set
BENCH_PG_URL to the server's admin URL to change it), migrates it, imports, and drops it.
Rates are best of --repeat runs (the machine is shared: the best run is the least
disturbed); the import runs into an empty base each time (truncated between runs).
"""

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import random
import sys
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

DB_NAME = "sellm_bench_bibtex"

WORDS = (  # noqa: SIM905 (a word list reads better as a sentence)
    "large language models software engineering testing code generation agents evaluation "
    "benchmark prompt repair vulnerability requirements dataset fine tuning deployment "
    "maintenance survey empirical study towards understanding program synthesis"
).split()
FIRST = ["Xinyi", "Ada", "Alan", "Jos{\\'e}", "Ren{\\'e}", 'J{\\"u}rgen', "Zhi", "Wei", "Li"]
FIRST += ["Mar{\\'\\i}a", "Fran{\\c{c}}ois", 'Bj{\\"o}rn', "Kateřina", "Søren"]
LAST = ["Hou", "Lovelace", "Turing", "Garc{\\'\\i}a", 'M{\\"u}ller', "Zhang", "Wang", "Smith"]
LAST += ["Nguyen", 'Sch{\\"o}lkopf', "Dvo{\\v{r}}{\\'a}k", "Chen", "van der Berg", "O'Neil"]


def generate(n: int, seed: int = 6) -> str:
    """A realistic mix: Zotero-style entries with abstracts, DBLP-style arXiv entries,
    accents as macros and as Unicode, protective braces, math, @string macros, month macros."""
    rng = random.Random(seed)
    out = ["@string{icse = {International Conference on Software Engineering}}\n"]
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 11))).capitalize()
        if i % 5 == 0:
            title = "{LLM}s for " + title
        if i % 7 == 0:
            title += " with $\\mathcal{O}(n)$ cost"
        authors = " and ".join(
            f"{rng.choice(LAST)}, {rng.choice(FIRST)}" for _ in range(rng.randint(1, 6))
        )
        kind = rng.choice(["article", "inproceedings", "misc"])
        fields = [
            f"  title = {{{title}}}",
            f"  author = {{{authors}}}",
            f"  year = {{{rng.randint(2015, 2025)}}}",
        ]
        if i % 2 == 0:  # half carry an abstract (Zotero exports do, DBLP's do not)
            words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(80, 180)))
            fields.append(f"  abstract = {{{words.capitalize()}. We reach 93\\% accuracy.}}")
        if kind == "article":
            fields += [
                "  journal = {IEEE Transactions on Software Engineering}",
                f"  volume = {{{rng.randint(1, 50)}}}",
                f"  pages = {{{rng.randint(1, 900)}--{rng.randint(901, 999)}}}",
            ]
        elif kind == "inproceedings":
            fields += ["  booktitle = icse", "  month = may", "  publisher = {ACM}"]
        if i % 3 == 0:
            arxiv = f"{2300 + (i // 90000) * 100 + (i // 9000) % 10 + 1}.{i % 90000 + 10000:05d}"
            fields += [f"  eprint = {{{arxiv}}}", "  archivePrefix = {arXiv}"]
            fields.append("  primaryClass = {cs.SE}")
        if i % 2 == 1:
            fields.append(f"  doi = {{10.1145/{3000000 + i}}}")
        out.append(f"@{kind}{{key{i},\n" + ",\n".join(fields) + "\n}\n")
    return "\n".join(out)


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
        configure_django(recreate_database(DB_NAME))
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
    from apps.ingestion.bibtex.services import bibtex_import

    call_command("migrate", verbosity=0)
    text = generate(entries)
    n = entries
    print(
        f"{n} entries, {len(text) / 1e6:.1f} MB; Python {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} cores, PostgreSQL "
        f"{connection.cursor().connection.info.server_version}"
    )

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

    parse_runs, ours_runs, import_runs, again_runs = [], [], [], []
    report = None
    for _ in range(repeat):  # interleaved, so a busy moment hits every measure alike
        parse_runs.append(timed(lambda: bibtexparser.parse_string(text)))
        ours_runs.append(timed(lambda: parse_bibtex(text)))
        truncate()

        def do_import() -> None:
            nonlocal report
            report = bibtex_import(text=text)

        import_runs.append(timed(do_import))
        again_runs.append(timed(lambda: bibtex_import(text=text)))

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
    import_rate = best("import into empty PostgreSQL (parse+upsert)", import_runs, n)
    again_rate = best("re-import, every entry unchanged", again_runs, n)
    assert report is not None
    print(f"import summary: {report.summary()}")
    print(f"our parse / bibtexparser parse: {ours_rate / parse_rate:.0%}")
    print(f"import / bibtexparser parse:    {import_rate / parse_rate:.0%}  (target ≥ 50%)")

    if profile:
        truncate()
        profiler = cProfile.Profile()
        profiler.enable()
        bibtex_import(text=text)
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())

    baseline = f"bibtexparser parse_string, default stack ({n} entries, best of {repeat})"

    size = f"{n:,} entries, {len(text) / 1e6:.0f} MB"

    def figure(key: str, name: str, rate: float, target: str = "") -> Figure:
        met = rate >= 0.5 * parse_rate if target else None
        return Figure(
            f"bibtex.{key}", name, rate, "entries/s", baseline, parse_rate, target, met, size
        )

    return [
        figure("import.parse", "our parse: accents decoded, names split, ids found", ours_rate),
        figure(
            "import.new",
            "import into an empty PostgreSQL (our parse + paper_upsert_many)",
            import_rate,
            "≥ 50% of baseline",
        ),
        figure("import.again", "re-import of the same file (every entry unchanged)", again_rate),
        figure("import.pylatexenc", "bibtexparser + LatexDecodingMiddleware (500)", latex_rate),
    ]


if __name__ == "__main__":
    main()
