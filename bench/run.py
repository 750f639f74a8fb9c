"""`make bench`: build the shared corpus, run every benchmark, write the report.

    .venv/bin/python bench/run.py [--papers 100000] [--only api --only load] [--reuse-corpus]
    .venv/bin/python bench/run.py --render      # docs/performance.md from results.json only

Builds a PostgreSQL database of --papers generated papers (bench/api_generate.py, COPY) that
the API, web page, export and load benchmarks share; the BibTeX import and arXiv ingestion
benchmarks create and drop their own. Each benchmark runs in its own process (each needs its
own Django settings) through its module's `run()`, and its figures are merged into
bench/results.json (a partial run with --only keeps the other benchmarks' figures). Then
docs/performance.md is rendered from bench/performance.template.md: the hand-written analysis,
with every table and every inline number taken from results.json.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 - after the path that makes bench importable
    CORPUS_DB,
    Figure,
    configure_django,
    database_url,
    load_average,
    machine,
    recreate_database,
)

RESULTS = ROOT / "bench" / "results.json"
TEMPLATE = ROOT / "bench" / "performance.template.md"
REPORT = ROOT / "docs" / "performance.md"
NONE, TIMES = "\u2013", "\u00d7"  # en dash: no value; times sign: ratios
SHARED = {"api", "web", "load", "export", "related"}  # benchmarks that read the shared corpus


def bench_api(options: argparse.Namespace) -> list[Figure]:
    from bench import api_bench

    configure_django(database_url(options.corpus_db), **api_bench.SETTINGS_ENV)
    return api_bench.run(options.runs)


def bench_web(options: argparse.Namespace) -> list[Figure]:
    from bench import web_pages

    configure_django(database_url(options.corpus_db), "tests.settings")
    return web_pages.run(5)


def bench_load(options: argparse.Namespace) -> list[Figure]:
    from bench import load_test

    return load_test.run(database_url(options.corpus_db), options.load_seconds)


def bench_import(options: argparse.Namespace) -> list[Figure]:
    from bench import bibtex_import

    return bibtex_import.run(max(1000, min(20000, options.papers // 5)), repeat=3)


def bench_export(options: argparse.Namespace) -> list[Figure]:
    from bench import bibtex_export

    return bibtex_export.run(database_url(options.corpus_db))


def bench_ingest(options: argparse.Namespace) -> list[Figure]:
    from bench import ingest_arxiv

    return ingest_arxiv.run(max(1, min(10, options.papers // 10000)), 1000)


def bench_related(options: argparse.Namespace) -> list[Figure]:
    from bench import related_papers

    configure_django(database_url(options.corpus_db), "tests.settings")
    return related_papers.run()


def bench_suggestions(options: argparse.Namespace) -> list[Figure]:
    from bench import ingest_suggestions_loo

    return ingest_suggestions_loo.run()


def build_corpus(options: argparse.Namespace) -> list[Figure]:
    from bench import api_generate

    configure_django(recreate_database(options.corpus_db))
    counts = api_generate.generate(options.papers, api_generate.authors_for(options.papers))
    units = {"categories": "paper–category links"}  # noqa: RUF001 - an en dash in prose
    return [
        Figure(f"corpus.{name}", f"generated {name}", value, units.get(name, name), "", None)
        for name, value in counts.items()
    ]


BENCHMARKS: dict[str, Callable[[argparse.Namespace], list[Figure]]] = {
    "api": bench_api,  # bench/api_bench.py
    "web": bench_web,  # bench/web_pages.py
    "load": bench_load,  # bench/load_test.py
    "export": bench_export,  # bench/bibtex_export.py
    "import": bench_import,  # bench/bibtex_import.py
    "ingest": bench_ingest,  # bench/ingest_arxiv.py
    "suggestions": bench_suggestions,  # bench/ingest_suggestions_loo.py
    "related": bench_related,  # bench/related_papers.py
}
STEPS = {"corpus": build_corpus, **BENCHMARKS}


def run_step(name: str, options: argparse.Namespace) -> tuple[list[dict], dict]:
    """One step in a fresh process; its figures and when, how long, at what load it ran."""
    started, before = time.perf_counter(), load_average()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\n=== {name} ({date}, load average {before}) ===", flush=True)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [sys.executable, __file__, "--child", name, "--out", out.name]
        command += child_arguments(options)
        subprocess.run(command, cwd=ROOT, check=True)
        figures = json.loads(Path(out.name).read_text(encoding="utf-8"))
    seconds = time.perf_counter() - started
    for figure in figures:
        figure["benchmark"] = name
    return figures, {
        "date": date,
        "seconds": round(seconds, 1),
        "papers": options.papers if name in SHARED or name == "corpus" else None,
        "load_average_before": before,
        "load_average_after": load_average(),
    }


def child_arguments(options: argparse.Namespace) -> list[str]:
    return [
        "--papers",
        str(options.papers),
        "--runs",
        str(options.runs),
        "--load-seconds",
        str(options.load_seconds),
        "--corpus-db",
        options.corpus_db,
    ]


def corpus_size(options: argparse.Namespace) -> int | None:
    """Papers in an existing corpus database, or None if there is none."""
    import psycopg

    try:
        with psycopg.connect(
            database_url(options.corpus_db).replace("postgres://", "postgresql://")
        ) as conn:
            row = conn.execute(
                "SELECT count(*) FROM papers_paper WHERE source = 'arxiv'"
            ).fetchone()
    except psycopg.Error:
        return None
    return row[0] if row else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=100_000, help="size of the shared corpus")
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), default=[])
    parser.add_argument("--runs", type=int, default=20, help="requests per API case")
    parser.add_argument("--load-seconds", type=int, default=60, help="length of each wrk run")
    parser.add_argument(
        "--reuse-corpus", action="store_true", help="keep a corpus of the same size if present"
    )
    parser.add_argument("--corpus-db", default=CORPUS_DB)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--report", type=Path, default=REPORT)
    parser.add_argument("--render", action="store_true", help="only render the report")
    parser.add_argument("--child", choices=list(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()

    if options.child:
        figures = STEPS[options.child](options)
        options.out.write_text(json.dumps([f.as_json() for f in figures]), encoding="utf-8")
        return
    if not options.render:
        collect(options)
    results = json.loads(options.results.read_text(encoding="utf-8"))
    options.report.write_text(render(TEMPLATE.read_text(encoding="utf-8"), results), "utf-8")
    print(f"wrote {options.report}")


def collect(options: argparse.Namespace) -> None:
    """Run the chosen benchmarks and merge their figures into the results file."""
    names = options.only or list(BENCHMARKS)
    if options.results.exists():
        results = json.loads(options.results.read_text(encoding="utf-8"))
    else:
        results = {"machine": {}, "runs": {}, "figures": []}
    started = time.perf_counter()
    steps = list(names)
    if SHARED & set(names) and not (
        options.reuse_corpus and corpus_size(options) == options.papers
    ):
        steps.insert(0, "corpus")
    results["machine"] = machine()
    for name in steps:
        figures, run = run_step(name, options)
        results["runs"][name] = run
        results["figures"] = [f for f in results["figures"] if f["benchmark"] != name] + figures
        results["figures"].sort(key=lambda f: list(STEPS).index(f["benchmark"]))
        # Written after each step, so an interrupted run keeps what it measured.
        options.results.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(f"\n{len(steps)} steps in {(time.perf_counter() - started) / 60:.1f} min")


# --- the report ---------------------------------------------------------------------------


def number(value: float | None) -> str:
    if value is None:
        return NONE
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.2f}"


def with_unit(value: float | None, unit: str) -> str:
    if value is None:
        return NONE
    return f"{number(value)}%" if unit == "%" else f"{number(value)} {unit}"


PERCENT_RATIOS = {"records/s", "entries/s", "requests"}  # shares of a rate or of a count


def ratio(figure: dict) -> str:
    value = figure["ratio"]
    if value is None:
        return NONE
    if figure["unit"] in PERCENT_RATIOS or figure["baseline"] == "the whole pass":
        return f"{value:.0%}" if value >= 0.01 or value == 0 else f"{value:.2%}"
    return f"{value:.2f}{TIMES}" if value >= 0.1 else f"{value:.2g}{TIMES}"


def table(figures: list[dict]) -> str:
    notes = any(figure["note"] for figure in figures)
    rows = [
        "| figure | value | baseline (same run) | baseline value | ratio | target |"
        + (" note |" if notes else ""),
        "|---|---:|---|---:|---:|---|" + ("---|" if notes else ""),
    ]
    for figure in figures:
        target = figure["target"]
        if target and figure["met"] is not None:
            target = f"{target}: **{'met' if figure['met'] else 'not met'}**"
        rows.append(
            f"| {figure['name']} | {with_unit(figure['value'], figure['unit'])} | "
            f"{figure['baseline'] or NONE} | "
            f"{with_unit(figure['baseline_value'], figure['unit'])} | {ratio(figure)} | "
            f"{target or ''} |" + (f" {figure['note']} |" if notes else "")
        )
    return "\n".join(rows)


def machine_line(results: dict) -> str:
    m = results["machine"]
    return (
        f"{m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}; "
        f"PostgreSQL {m['postgresql']}; {m['wrk']}. Run started {m['date']} "
        f"(load average {', '.join(str(x) for x in m['load_average'])} over 1, 5, 15 min)."
    )


def runs_table(results: dict) -> str:
    rows = [
        "| step | started | minutes | corpus | load average before → after (1, 5, 15 min) |",
        "|---|---|---:|---:|---|",
    ]
    for name, run in sorted(results["runs"].items(), key=lambda kv: list(STEPS).index(kv[0])):
        before = ", ".join(str(x) for x in run["load_average_before"])
        after = ", ".join(str(x) for x in run["load_average_after"])
        papers = f"{run['papers']:,}" if run["papers"] else "own data"
        rows.append(
            f"| {name} | {run['date']} | {run['seconds'] / 60:.1f} | {papers} | "
            f"{before} → {after} |"
        )
    return "\n".join(rows)


def render(template: str, results: dict) -> str:
    """Fill the template's {{...}} placeholders from the results.

    {{machine}}, {{runs}}: the machine line and the table of steps; {{targets}}: every figure
    with a target; {{table:PREFIX,...}}: every figure whose key starts with a PREFIX;
    {{value:KEY}}, {{baseline:KEY}}, {{ratio:KEY}}, {{percent:KEY}} (the ratio as a
    percentage), {{met:KEY}}, {{note:KEY}}: one figure's parts.
    """
    figures = {f["key"]: f for f in results["figures"]}
    missing = []

    def fill(match: re.Match) -> str:
        kind, _, key = match.group(1).partition(":")
        if kind == "machine":
            return machine_line(results)
        if kind == "runs":
            return runs_table(results)
        if kind == "targets":
            return table([f for f in results["figures"] if f["target"]])
        if kind == "table":
            chosen = [
                f
                for prefix in key.split(",")
                for f in results["figures"]
                if f["key"].startswith(prefix)
            ]
            if not chosen:
                missing.append(match.group(0))
                return "(not measured in this run)"
            return table(chosen)
        figure = figures.get(key)
        if figure is None:
            missing.append(match.group(0))
            return "n/a"
        if kind == "value":
            return with_unit(figure["value"], figure["unit"])
        if kind == "baseline":
            return with_unit(figure["baseline_value"], figure["unit"])
        if kind == "ratio":
            return ratio(figure)
        if kind == "percent":
            return f"{figure['ratio']:.0%}"
        if kind == "met":
            return "met" if figure["met"] else "not met"
        if kind == "note":
            return figure["note"]
        raise ValueError(f"unknown placeholder {match.group(0)}")

    header = (
        "<!-- Generated by bench/run.py from bench/results.json and "
        "bench/performance.template.md: edit the template, then `make bench` or "
        "`.venv/bin/python bench/run.py --render`. -->\n"
    )
    text = header + re.sub(r"\{\{([a-z]+(?::[^}]+)?)\}\}", fill, template)
    for placeholder in missing:
        print(f"warning: {placeholder} has no figure in the results", file=sys.stderr)
    return text


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
