"""Benchmark: arXiv records per second from saved Atom pages into PostgreSQL, end to end,
next to the parse-only rates of the `arxiv` package and feedparser on the same pages.

    .venv/bin/python bench/ingest_arxiv.py [--pages 10] [--per-page 1000] [--keep-db]

It writes synthetic pages shaped like the query API's (title, a 100-220-word abstract, the
author lists of a real library — median 5, p90 10, up to 129, about 3 distinct people per
entry, see bench/shapes.py — categories, some DOIs and journal refs) to a temporary directory,
then measures on those same bytes, in the same run:

1. parse only: `arxiv._feed.parse` (the `arxiv` package's lxml parser), `feedparser.parse`,
   and ours (`apps.ingestion.arxiv.parsers.parse_atom`, defusedxml);
2. end to end into PostgreSQL, with the command users run for a saved response
   (`manage.py ingest_arxiv --from-file PAGE`: a recorded run through the engine — parse,
   `paper_upsert_many`, counts and cursor, suggestions for new papers after the page commits,
   finish) — first with suggestions, then a re-run of the same pages (everything unchanged),
   then a fresh database without suggestions;
3. where the end-to-end time goes (cumulative seconds per stage).

The database (`sellm_bench_ingest` on the server of BENCH_PG_URL, default 127.0.0.1:5432,
user postgres) is created and dropped by the script.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402 - after the path that makes bench importable
    Figure,
    configure_django,
    database_url,
    drop_database,
    recreate_database,
)
from bench.shapes import bibliography  # noqa: E402

DB_NAME = "sellm_bench_ingest"


def make_pages(
    directory: Path, pages: int, per_page: int, seed: int = 7
) -> tuple[list[Path], dict[str, float]]:
    """Write `pages` Atom pages of `per_page` entries shaped like arXiv's answers, with the
    author lists of a real library (bench/shapes.py: long tail, mostly distinct people)."""
    bib = bibliography(pages * per_page, seed)
    rng, text = bib.rng, bib.text
    paths = []
    serial = 0
    for page in range(pages):
        entries = []
        for _ in range(per_page):
            people = bib.authors[serial]
            serial += 1
            arxiv_id = f"24{serial // 100000 + 1:02d}.{serial % 100000:05d}"
            version = rng.choice((1, 1, 1, 2, 3))
            names = "".join(
                f"<author><name>{escape(person.display())}</name>"
                + (
                    f"<arxiv:affiliation>{escape(text.words(2, 4).title())}</arxiv:affiliation>"
                    if rng.random() < 0.1
                    else ""
                )
                + "</author>"
                for person in people
            )
            doi = f"<arxiv:doi>10.1234/bench.{serial}</arxiv:doi>" if serial % 3 == 0 else ""
            journal = (
                f"<arxiv:journal_ref>Proc. Bench {serial % 50}</arxiv:journal_ref>"
                if serial % 4 == 0
                else ""
            )
            categories = rng.sample(
                ["cs.SE", "cs.LG", "cs.CL", "cs.AI", "cs.CR"], rng.randint(1, 3)
            )
            entries.append(
                "<entry>"
                f"<id>http://arxiv.org/abs/{arxiv_id}v{version}</id>"
                f"<updated>2024-0{version + 1}-10T10:00:00Z</updated>"
                "<published>2024-01-02T10:00:00Z</published>"
                f"<title>{escape(text.title(serial))}</title>"
                f"<summary>{escape(text.words(100, 220))}</summary>"
                f"{names}{doi}{journal}"
                f"<arxiv:comment>{rng.randint(4, 40)} pages</arxiv:comment>"
                f'<link href="http://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate"'
                ' type="text/html"/>'
                f'<arxiv:primary_category term="{categories[0]}"'
                ' scheme="http://arxiv.org/schemas/atom"/>'
                + "".join(
                    f'<category term="{c}" scheme="http://arxiv.org/schemas/atom"/>'
                    for c in categories
                )
                + "</entry>\n"
            )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
            'xmlns:arxiv="http://arxiv.org/schemas/atom">'
            "<id>https://arxiv.org/api/bench</id><title>arXiv Query</title>"
            "<updated>2026-11-24T00:00:00Z</updated>"
            f"<opensearch:totalResults>{pages * per_page}</opensearch:totalResults>"
            f"<opensearch:startIndex>{page * per_page}</opensearch:startIndex>"
            f"<opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
            + "".join(entries)
            + "</feed>\n"
        )
        path = directory / f"page-{page:03d}.atom"
        path.write_text(body, encoding="utf-8")
        paths.append(path)
    return paths, bib.shape


def parse_rates(contents: list[bytes], count: int) -> dict[str, float]:
    """Entries per second of each parser over the same pages (best of three passes)."""
    import arxiv._feed
    import feedparser

    from apps.ingestion.arxiv.parsers import parse_atom

    parsers = {
        "arxiv package (lxml)": lambda c: len(arxiv._feed.parse(c).results),
        "feedparser": lambda c: len(feedparser.parse(c).entries),
        "sellm parse_atom (defusedxml)": lambda c: len(parse_atom(c).records),
    }
    rates = {}
    for name, parse in parsers.items():
        best = float("inf")
        for _ in range(1 if name == "feedparser" else 3):
            started = time.perf_counter()
            seen = sum(parse(c) for c in contents)
            best = min(best, time.perf_counter() - started)
        assert seen == count, (name, seen, count)
        rates[name] = count / best
    return rates


@contextmanager
def stage_timers(timings: dict[str, float]):  # type: ignore[no-untyped-def]
    """Accumulate wall time spent in each stage of a run (the functions the engine and the
    arXiv kinds look up by name at call time, so wrapping their module attributes times them)."""
    from apps.ingestion import engine, suggestions
    from apps.ingestion.arxiv import runs

    stages = {
        "parse (detect_and_parse)": (runs, "detect_and_parse"),
        "paper_upsert_many": (runs, "paper_upsert_many"),
        "placements_suggest": (suggestions, "placements_suggest"),
        "ingest_run_record": (engine, "ingest_run_record"),
    }
    originals = {}
    for label, (module, name) in stages.items():
        original = getattr(module, name)
        originals[label] = original

        def timed(*args, __original=original, __label=label, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return __original(*args, **kwargs)
            finally:
                timings[__label] += time.perf_counter() - started

        setattr(module, name, timed)
    try:
        yield
    finally:
        for label, (module, name) in stages.items():
            setattr(module, name, originals[label])


def ingest(paths: list[Path], *, suggest: bool) -> tuple[float, dict[str, float], dict[str, int]]:
    """Run `manage.py ingest_arxiv --from-file PAGE` for every saved page, as a user would
    (one recorded run per file, suggestions after each page commits); seconds and counts."""
    import io

    from django.core.management import call_command

    from apps.ingestion.arxiv import runs
    from apps.ingestion.models import IngestRun

    timings: dict[str, float] = defaultdict(float)
    totals: dict[str, int] = defaultdict(int)
    original_suggest = runs.placements_suggest_after_commit
    if not suggest:
        runs.placements_suggest_after_commit = lambda paper_ids: None  # type: ignore[assignment]
    first = IngestRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    try:
        with stage_timers(timings):
            started = time.perf_counter()
            for path in paths:
                call_command(
                    "ingest_arxiv",
                    "--from-file",
                    str(path),
                    stdout=io.StringIO(),
                    stderr=io.StringIO(),
                )
            elapsed = time.perf_counter() - started
    finally:
        runs.placements_suggest_after_commit = original_suggest
    for run in IngestRun.objects.filter(pk__gt=first):
        assert run.status == IngestRun.Status.SUCCEEDED, run.message
        for name in ("seen", "created", "updated", "unchanged", "failed"):
            totals[name] += getattr(run, name)
    return elapsed, dict(timings), dict(totals)


def fresh_database() -> None:
    import io

    from django.core.management import call_command
    from django.db import connections

    connections.close_all()
    recreate_database(DB_NAME)
    call_command("migrate", verbosity=0)
    call_command("load_survey", stdout=io.StringIO())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--per-page", type=int, default=1000)
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile one more pass of new papers"
    )
    args = parser.parse_args()
    run(args.pages, args.per_page, keep_db=args.keep_db, profile=args.profile)


def run(
    pages: int = 10, per_page: int = 1000, *, keep_db: bool = False, profile: bool = False
) -> list[Figure]:
    """Parse rates and end-to-end rates on the same pages; stage times of each pass."""
    configure_django(database_url(DB_NAME))
    with tempfile.TemporaryDirectory() as tmp:
        paths, shape = make_pages(Path(tmp), pages, per_page)
        contents = [p.read_bytes() for p in paths]
        count = pages * per_page
        size = sum(len(c) for c in contents)
        print(
            f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}"
        )
        print(f"pages: {pages} x {per_page} entries ({size / 1e6:.1f} MB)")
        print(
            f"authors per entry: median {shape['median']}, p90 {shape['p90']}, "
            f"max {shape['max']}; {shape['people_per_entry']} people per entry\n"
        )

        rates = parse_rates(contents, count)
        for name, rate in rates.items():
            print(f"parse only  {name:34s} {rate:10,.0f} entries/s")
        baseline = rates["arxiv package (lxml)"]

        try:
            results = []
            fresh_database()
            results.append(
                ("new", "new papers, with suggestions (as deployed)", *ingest(paths, suggest=True))
            )
            results.append(
                ("again", "re-run of the same pages (all unchanged)", *ingest(paths, suggest=True))
            )
            fresh_database()
            results.append(
                ("bare", "new papers, without suggestions", *ingest(paths, suggest=False))
            )
            if profile:
                import cProfile
                import io
                import pstats

                fresh_database()
                profiler = cProfile.Profile()
                profiler.enable()
                ingest(paths, suggest=True)
                profiler.disable()
                report = io.StringIO()
                stats = pstats.Stats(profiler, stream=report)
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats(40)
                print("\nprofile of a pass of new papers (with suggestions):")
                print(report.getvalue())
            print()
        finally:
            from django.db import connections

            connections.close_all()
            if not keep_db:
                drop_database(DB_NAME)

    baseline_name = f"`arxiv` package parse only ({count:,} entries, best of 3)"
    figures = [
        Figure(
            f"ingest.parse.{key}",
            f"parse only: {name}",
            rates[name],
            "records/s",
            baseline_name,
            baseline,
        )
        for key, name in (("feedparser", "feedparser"), ("sellm", "sellm parse_atom (defusedxml)"))
    ]
    for key, name, elapsed, timings, totals in results:
        rate = count / elapsed
        print(
            f"{name:44s} {rate:8,.0f} records/s  ({rate / baseline:5.1%} of the arxiv "
            f"package's parse rate; target 25%)  {dict(totals)}"
        )
        new_papers = key != "again"
        figures.append(
            Figure(
                f"ingest.e2e.{key}",
                f"end to end: {name}",
                rate,
                "records/s",
                baseline_name,
                baseline,
                target="≥ 25% of baseline" if new_papers else "",
                met=rate >= 0.25 * baseline if new_papers else None,
            )
        )
        for stage, seconds in sorted(timings.items(), key=lambda kv: -kv[1]):
            print(f"    {stage:28s} {seconds:7.2f} s  ({seconds / elapsed:5.1%})")
            if seconds < 0.001:  # suggestions switched off
                continue
            stage_key = stage.split(" ")[0]
            figures.append(
                Figure(
                    f"ingest.e2e.{key}.{stage_key}",
                    f"{stage}, {name}",
                    seconds,
                    "s",
                    "the whole pass",
                    elapsed,
                )
            )
    return figures


if __name__ == "__main__":
    main()
