"""Benchmark: response times of the public HTML pages on a large corpus.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sellm_web \
        .venv/bin/python bench/web_pages.py --papers 10000 --runs 5

Loads the survey taxonomy (idempotent) and adds `--papers` synthetic included papers (three
authors, two categories, a phase and one or two challenge placements each, some direction
placements), committed and vacuumed so that the planner sees what a live database holds;
measures every page through Django's test client; then deletes the synthetic rows with
plain SQL (no history rows), so the database is left as it was. Without DATABASE_URL it
runs on the SQLite file under var/.

For each page it reports the median of `--runs` requests rendered from scratch (the page
cache off), and the median of cached requests (the page cache on, after one fill). Two
baselines are measured in the same run: the about page (a static template through the same
middleware and base layout: the fixed cost of any page), and, for list pages, the rows alone
(the count and one page of `for_list()` rows the page shows, without facets or template).
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from apps.core.text import fold  # noqa: E402
from apps.papers.filtersets import PaperFilterSet  # noqa: E402
from apps.papers.models import Author, Authorship, Category, Paper, Placement  # noqa: E402
from apps.papers.services.upsert import AUTHOR_SEPARATOR, author_key  # noqa: E402
from apps.taxonomy.models import Challenge, Phase, ResearchDirection  # noqa: E402

WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list literal
    "language model code generation testing evaluation benchmark robustness prompt agent "
    "repair fuzzing contamination hallucination alignment fine-tuning dataset annotation "
    "privacy memorization deployment serving quantization compression latency monitoring "
    "drift editing unlearning requirements specification oracle metamorphic adversarial "
    "jailbreak safety bias fairness retrieval reasoning planning verification synthesis"
).split()


BENCH_ARXIV_PREFIX = "bench/"
BENCH_AUTHOR_SUFFIX = " Bench"
CLEANUP = [
    "DELETE FROM papers_placement WHERE paper_id IN ({papers})",
    "DELETE FROM papers_authorship WHERE paper_id IN ({papers})",
    "DELETE FROM papers_paper_categories WHERE paper_id IN ({papers})",
    "DELETE FROM papers_paper WHERE id IN ({papers})",
    "DELETE FROM papers_author WHERE name LIKE '%%" + BENCH_AUTHOR_SUFFIX + "'",
]
BENCH_PAPERS = f"SELECT id FROM papers_paper WHERE arxiv_id LIKE '{BENCH_ARXIV_PREFIX}%%'"


def remove_corpus() -> None:
    """Delete every synthetic row (also those an interrupted run left behind)."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in CLEANUP:
            cursor.execute(statement.format(papers=BENCH_PAPERS))
    vacuum()


def vacuum() -> None:
    """Fresh statistics and no dead rows, as autovacuum would leave a live database."""
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def build_corpus(papers: int, seed: int = 7) -> dict:
    """Create the synthetic corpus; returns ids the measured URLs need."""
    rng = random.Random(seed)
    call_command("load_survey", stdout=open(os.devnull, "w"))  # noqa: SIM115
    list(Phase.objects.all())
    challenges = list(Challenge.objects.all())
    directions = list(ResearchDirection.objects.all())
    categories = [
        Category.objects.get_or_create(code=c)[0]
        for c in (
            "cs.SE",
            "cs.LG",
            "cs.CL",
            "cs.AI",
            "cs.CR",
            "cs.PL",
            "cs.IR",
            "cs.DC",
            "stat.ML",
            "cs.HC",
        )
    ]
    names = [f"Author {i}{BENCH_AUTHOR_SUFFIX}" for i in range(papers // 2)]
    authors = Author.objects.bulk_create(Author(name=n, name_key=author_key(n)) for n in names)
    now = timezone.now()
    rows, paper_authors = [], []
    for i in range(papers):
        title = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize() + f" {i}"
        year = rng.randint(2015, 2026)
        paper_authors.append(rng.sample(authors, 3))
        rows.append(
            Paper(
                title=title,
                title_key=fold(title)[:255],
                abstract=" ".join(rng.choice(WORDS) for _ in range(150)),
                arxiv_id=f"{BENCH_ARXIV_PREFIX}{i:07d}",  # never a real (seed) arXiv id
                author_names=AUTHOR_SEPARATOR.join(a.name for a in paper_authors[-1]),
                arxiv_version=1,
                year=year,
                published_at=now.replace(year=year),
                primary_category="cs.SE",
                status=Paper.Status.INCLUDED,
                included_at=now - timezone.timedelta(minutes=i),
                source=Paper.Source.ARXIV,
            )
        )
    created = Paper.objects.bulk_create(rows, batch_size=2000)
    authorships, placements, links = [], [], []
    through = Paper.categories.through
    for paper, writers in zip(created, paper_authors, strict=True):
        authorships += [
            Authorship(paper=paper, author=a, position=p) for p, a in enumerate(writers)
        ]
        for category in rng.sample(categories, 2):
            links.append(through(paper=paper, category=category))
        chosen = rng.sample(challenges, rng.randint(1, 2))
        placements.append(
            Placement(paper=paper, phase=chosen[0].phase, origin="survey", review_state="accepted")
        )
        placements += [
            Placement(
                paper=paper,
                phase=c.phase,
                challenge=c,
                origin="curator",
                review_state="accepted",
                evidence="Benchmark placement.",
            )
            for c in chosen
        ]
        if rng.random() < 0.3:
            direction = rng.choice(directions)
            placements.append(
                Placement(
                    paper=paper,
                    phase=direction.phase,
                    direction=direction,
                    origin="curator",
                    review_state="accepted",
                )
            )
    Authorship.objects.bulk_create(authorships, batch_size=5000)
    through.objects.bulk_create(links, batch_size=5000)
    Placement.objects.bulk_create(placements, batch_size=5000, ignore_conflicts=True)
    return {
        "paper": created[len(created) // 2].pk,
        "author": authors[0].pk,
        "phase": "testing-evaluation",
        "challenge": "benchmark-saturation-contamination",
        "direction": directions[0].slug,
    }


def median_ms(action: Callable[[], object], runs: int) -> float:
    action()  # warm-up: templates compiled, connection open, caches of the database warm
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


def fetch(client: Client, url: str) -> Callable[[], object]:
    def get() -> object:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if response.streaming:
            return b"".join(response.streaming_content)
        return response.content

    return get


def rows_only(query: dict) -> Callable[[], object]:
    """What a list page cannot avoid: the count and one page of rows with their relations."""

    def run() -> object:
        filterset = PaperFilterSet(query, queryset=Paper.objects.included())
        qs = filterset.qs
        return qs.count(), list(qs.for_list()[:20])

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    results: list[tuple[str, float, float, float | None]] = []
    remove_corpus()
    try:
        started = time.perf_counter()
        with transaction.atomic():
            ids = build_corpus(args.papers)
        vacuum()
        built = time.perf_counter() - started
        pages = [
            ("about (baseline: fixed cost)", "/about/", None),
            ("home", "/", None),
            ("phase", f"/phases/{ids['phase']}/", {"phase": ids["phase"]}),
            ("challenge", f"/challenges/{ids['challenge']}/", None),
            ("direction", f"/directions/{ids['direction']}/", None),
            ("papers", "/papers/", {}),
            ("papers, search", "/papers/?q=metamorphic+oracle", {"q": "metamorphic oracle"}),
            (
                "papers, 3 facets",
                f"/papers/?phase={ids['phase']}&year=2024&category=cs.SE",
                {"phase": ids["phase"], "year": "2024", "category": "cs.SE"},
            ),
            ("papers, page 100", "/papers/?page=100", {}),
            ("paper", f"/papers/{ids['paper']}/", None),
            ("author", f"/authors/{ids['author']}/", None),
            ("gap map", "/gaps/", None),
            ("feed, all", "/feeds/papers/", None),
            ("feed, challenge", f"/feeds/challenges/{ids['challenge']}/", None),
        ]
        for label, url, query in pages:
            settings.PAGE_CACHE_SECONDS = 0
            cold = median_ms(fetch(client, url), args.runs)
            settings.PAGE_CACHE_SECONDS = 300
            cache.clear()
            cached = median_ms(fetch(client, url), args.runs)
            rows = median_ms(rows_only(query), args.runs) if query is not None else None
            results.append((label, cold, cached, rows))
        settings.PAGE_CACHE_SECONDS = 0
        bibtex_url = f"/papers/bibtex/?challenge={ids['challenge']}"
        exported = fetch(client, bibtex_url)().count(b"\n@")  # type: ignore[attr-defined]
        bibtex = median_ms(fetch(client, bibtex_url), max(1, args.runs // 2))
    finally:
        remove_corpus()

    print(f"# sellm web pages — {args.papers} papers, median of {args.runs} runs")
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {connection.vendor}"
    )
    print(f"corpus built in {built:.1f} s (deleted afterwards)\n")
    print("| page | rendered (ms) | cached (ms) | rows only (ms) |")
    print("|---|---:|---:|---:|")
    for label, cold, cached, rows in results:
        rows_text = f"{rows:.1f}" if rows is not None else "-"
        print(f"| {label} | {cold:.1f} | {cached:.1f} | {rows_text} |")
    print(f"\nBibTeX download of one challenge ({exported + 1} entries, streamed): {bibtex:.0f} ms")


if __name__ == "__main__":
    main()
