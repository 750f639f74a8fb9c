"""Search quality: a relevance set over the survey's 422 seed papers (v2: titles, authors,
venues and curators' notes). Each query names the papers a reader would expect among its
first five results; the hit rate (docs/performance.md, "Search") must stay at least 90% on
either database. Queries are written from the seed's titles, authors and notes, as a reader
who knows a paper would type them — abbreviations, plurals and accents included.
"""

import pytest
from django.db import connection

from apps.papers.models import Paper
from apps.papers.search import search_papers
from tests.papers.seed_v2 import load_seed_v2

pytestmark = pytest.mark.django_db

# (query, arXiv ids that must be in the top five)
RELEVANCE_SET = [
    ("test oracle", ["2309.03554"]),
    ('"test oracle"', ["2309.03554"]),
    ("QLoRA", ["2305.14314"]),
    ("LoRA", ["2106.09685"]),
    ("low-rank adaptation", ["2106.09685"]),
    ("RLHF alignment tax", ["2309.06256"]),
    ("DPO", ["2305.18290"]),
    ("reinforcement learning from human feedback", ["2310.12773"]),
    ("reward model human rankings PPO", ["2203.02155"]),
    ("constitutional AI harmlessness", ["2212.08073"]),
    ("author:Dettmers", ["2305.14314", "2208.07339"]),
    ("8-bit matrix multiplication outliers", ["2208.07339"]),
    ("metamorphic testing hallucination", ["2405.00648"]),
    ("model context protocol security", ["2503.23278", "2506.13538"]),
    ("MCP servers maintainability", ["2506.13538"]),
    ("knowledge editing multi-hop", ["2305.14795"]),
    ("position bias LLM-as-a-judge", ["2406.07791"]),
    ("attention sinks", ["2309.17453"]),
    ("PII leakage", ["2601.03791"]),
    ("membership inference", ["2404.11262"]),
    ("data contamination survey", ["2406.04244"]),
    ("MoE", ["2202.08906"]),
    ("pipeline parallelism", ["1811.06965"]),
    ("Harry Potter unlearning", ["2310.02238"]),
    ("quality filtering Common Crawl", ["2109.00698"]),
    ("de-duplication diversification", ["2308.12284"]),
    ("synthetic requirements datasets", ["2506.21138"]),
    ("requirements engineering guideline", ["2402.13823"]),
    ("self-instruct", ["2212.10560"]),
    ("author:Rottger", ["2308.01263"]),
    ("Kopf OpenAssistant", ["2304.07327"]),
    ("supply chain attacks Hugging Face", ["2410.04490"]),
    ("regression testing code generation", ["2507.19390"]),
    ("nondeterminism GPU inference", ["2506.09501"]),
    ("guardrails", ["2310.10501"]),
    ("year:2023 chain-of-verification", ["2309.11495"]),
    ("consumer GPU serving", ["2312.12456"]),
    ("venue:SOSP", ["2312.12456"]),
    ("exaggerated safety", ["2308.01263"]),
    ("jailbroken safety training", ["2307.02483"]),
    ("red teaming attack transcripts", ["2209.07858"]),
    ("simulated human feedback LLM annotators", ["2305.14387"]),
    ("fine-tuning OR retrieval knowledge injection", ["2312.05934"]),
    ("SE for LLMs lifecycle challenges", ["2506.23762"]),
]
REQUIRED_HIT_RATE = 0.9


def test_the_relevance_set_finds_what_readers_expect() -> None:
    papers = load_seed_v2()
    base = Paper.objects.included()
    hits, misses = 0, []
    for query, expected in RELEVANCE_SET:
        top = list(
            search_papers(base, query)
            .order_by("-relevance", "-published_at", "-id")
            .values_list("arxiv_id", flat=True)[:5]
        )
        assert all(arxiv_id in papers for arxiv_id in expected), query
        found = sum(arxiv_id in top for arxiv_id in expected)
        hits += found
        if found < len(expected):
            misses.append((query, expected, top))
    total = sum(len(expected) for _, expected in RELEVANCE_SET)
    rate = hits / total
    # The figure docs/performance.md reports (pytest -s shows it).
    print(f"\n{connection.vendor}: {hits}/{total} expected papers in the top 5 ({rate:.0%})")  # noqa: T201
    for miss in misses:
        print("  missed:", miss)  # noqa: T201
    assert len(RELEVANCE_SET) >= 30
    assert rate >= REQUIRED_HIT_RATE, misses
