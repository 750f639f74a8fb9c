"""Profile paper_upsert_many on realistic records (development aid; not a benchmark figure).

Usage: DATABASE_URL=postgres://…/scratch SECRET_KEY=x python bench/upsert_profile.py [N] [--profile]
"""

import cProfile
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sellm.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from apps.papers.models import Paper  # noqa: E402
from apps.papers.records import AuthorRecord, PaperRecord, VersionRecord  # noqa: E402
from apps.papers.services import paper_upsert_many  # noqa: E402

WORDS = [
    "large",
    "language",
    "model",
    "code",
    "generation",
    "testing",
    "evaluation",
    "benchmark",
    "robustness",
    "agent",
    "software",
    "engineering",
    "requirements",
    "dataset",
    "fine-tuning",
    "deployment",
    "quantization",
    "prompt",
    "hallucination",
    "security",
    "vulnerability",
    "repair",
    "retrieval",
    "augmented",
    "reasoning",
    "alignment",
]


def make_records(n: int, seed: int = 7) -> list[PaperRecord]:
    rng = random.Random(seed)
    authors = [
        f"{rng.choice(['Ada', 'Bo', 'Chen', 'Dana', 'Eve', 'Femi'])} Author{i}"
        for i in range(n // 2)
    ]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    records = []
    for i in range(n):
        published = start + timedelta(hours=i)
        versions = rng.randint(1, 3)
        records.append(
            PaperRecord(
                title=" ".join(rng.choices(WORDS, k=rng.randint(6, 14))).capitalize() + f" {i}",
                authors=[AuthorRecord(rng.choice(authors)) for _ in range(rng.randint(1, 8))],
                abstract=" ".join(rng.choices(WORDS, k=rng.randint(120, 220))),
                arxiv_id=f"{published:%y%m}.{i:05d}",
                arxiv_version=versions,
                arxiv_versions=[
                    VersionRecord(v, published + timedelta(days=v)) for v in range(1, versions + 1)
                ],
                published_at=published,
                revised_at=published + timedelta(days=versions),
                primary_category="cs.SE",
                categories=rng.sample(
                    ["cs.SE", "cs.AI", "cs.CL", "cs.LG", "cs.CR"], k=rng.randint(1, 3)
                ),
                comment="12 pages",
                label=f"record {i}",
            )
        )
    return records


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 20000
    call_command("migrate", verbosity=0)
    Paper.objects.all().delete()
    records = make_records(n)
    profiler = cProfile.Profile() if "--profile" in sys.argv else None
    for label in ("insert", "rerun"):
        batch = 1000
        begin = time.perf_counter()
        if profiler:
            profiler.enable()
        for i in range(0, n, batch):
            paper_upsert_many(records=records[i : i + batch], source="arxiv")
        if profiler:
            profiler.disable()
        elapsed = time.perf_counter() - begin
        print(f"{label}: {n} records in {elapsed:.2f}s = {n / elapsed:,.0f} records/s")
    if profiler:
        pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(35)


if __name__ == "__main__":
    main()
