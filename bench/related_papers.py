"""Benchmark: related papers on the shared corpus — the periodic refresh that precomputes
every paper's content neighbours, and the paper page's related-papers read.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sellm_bench_corpus \\
        .venv/bin/python bench/related_papers.py

Needs a database filled by bench/api_generate.py (bench/run.py builds it). The refresh is
timed whole (read texts, compute, swap rows) next to its first step alone (reading and
stemming the texts: the floor any content method pays). The read is `related_papers` for 20
papers spread over the corpus, median time, next to fetching the same paper's row for the
page (with its list rows, `attach_relations`), and its query count.
"""

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, configure_django


def run() -> list[Figure]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.papers.models import Paper, RelatedPaper
    from apps.papers.relations import attach_relations
    from apps.papers.selectors import related_papers
    from apps.papers.services import related as service

    started = time.perf_counter()
    ids, _, _ = service._documents()
    reading = time.perf_counter() - started
    report = service.related_papers_refresh()
    papers = len(ids)
    print(f"refresh: {papers} papers, {report.neighbours} neighbours in {report.seconds:.1f} s")
    print(f"reading and stemming the texts alone: {reading:.1f} s")

    included = Paper.objects.included()
    step = max(1, papers // 20)
    sample = ids[::step][:20]
    reads, fetches, counts = [], [], []
    for pk in sample:
        paper = Paper.objects.get(pk=pk)
        began = time.perf_counter()
        attach_relations(included.filter(pk=pk))
        fetches.append(time.perf_counter() - began)
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            found = related_papers(paper, included, limit=8)
            reads.append(time.perf_counter() - began)
        counts.append(len(captured))
        assert all(getattr(p, "related_reasons", None) for p in found)
    with_rows = RelatedPaper.objects.values("paper").distinct().count()
    read_ms, fetch_ms = statistics.median(reads) * 1000, statistics.median(fetches) * 1000
    print(f"related_papers: median {read_ms:.1f} ms, {min(counts)} to {max(counts)} queries")
    return [
        Figure(
            "related.refresh.seconds",
            f"refresh of every paper's content neighbours ({papers} papers)",
            report.seconds,
            "s",
            "reading and stemming the texts alone",
            reading,
            note=f"{report.neighbours} neighbours; {with_rows} papers have some",
        ),
        Figure(
            "related.refresh.rate",
            "refresh throughput",
            papers / report.seconds if report.seconds else 0.0,
            "papers/s",
            "",
            None,
        ),
        Figure(
            "related.read.median",
            "related papers of one paper (shared challenges + neighbours), median of 20",
            read_ms,
            "ms",
            "the paper's own row for the page (with its list rows)",
            fetch_ms,
            note=f"{min(counts)} to {max(counts)} queries",
        ),
    ]


if __name__ == "__main__":
    import os

    configure_django(os.environ["DATABASE_URL"], "tests.settings")
    run()
