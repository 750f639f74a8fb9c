"""Related papers by content: each included paper's nearest neighbours, precomputed.

TF-IDF over the title (counted twice), the abstract and the notes people wrote when placing
the paper (curators, the survey; not the suggester's machine evidence), Snowball-stemmed.
Each paper keeps its TERMS_PER_PAPER heaviest words; words in more than COMMON_SHARE of the
papers are left out of the inverted index (they are in every list and tell nothing), so a
paper is compared only with the papers sharing one of its distinctive words. The neighbours
and the words they share are stored as `RelatedPaper` rows, rebuilt by the periodic task
`related_papers_refresh_task` (and `manage.py refresh_related`).
"""

import heapq
import logging
import math
from collections import Counter, defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.core.terms import analyse
from apps.papers.models import Paper, Placement, RelatedPaper

logger = logging.getLogger(__name__)

NEIGHBOURS = 10
TERMS_PER_PAPER = 20
COMMON_SHARE = 0.02  # a word in more than this share of the papers is not indexed
CHALLENGE_BONUS = 0.25  # added to the cosine for each challenge two papers share
CHALLENGE_MATES = 40  # a challenge's newest papers considered for each of its papers
MIN_SIMILARITY = 0.05
SHARED_WORDS = 3
WRITE_BATCH = 2000


@dataclass(frozen=True)
class RelatedReport:
    """What a refresh did."""

    papers: int
    neighbours: int
    seconds: float


def _challenges() -> dict[int, set[int]]:
    """The accepted challenges of every included paper."""
    placed = (
        Placement.objects.accepted()
        .filter(paper__status=Paper.Status.INCLUDED, challenge__isnull=False)
        .values_list("paper_id", "challenge_id")
    )
    challenges: dict[int, set[int]] = defaultdict(set)
    for paper_id, challenge_id in placed.iterator(chunk_size=5000):
        challenges[paper_id].add(challenge_id)
    return challenges


def _documents() -> tuple[list[int], list[Counter[str]], list[dict[str, str]]]:
    """Ids, stem counts and stem → surface word of every included paper."""
    notes: dict[int, list[str]] = defaultdict(list)
    placed = (
        Placement.objects.accepted()
        .filter(paper__status=Paper.Status.INCLUDED)
        .exclude(origin=Placement.Origin.SUGGESTED)
        .exclude(evidence="")
        .values_list("paper_id", "evidence")
    )
    for paper_id, evidence in placed.iterator(chunk_size=5000):
        if evidence not in notes[paper_id]:
            notes[paper_id].append(evidence)
    ids, counts, surfaces = [], [], []
    papers = Paper.objects.included().order_by("pk").values_list("pk", "title", "abstract")
    for pk, title, abstract in papers.iterator(chunk_size=5000):
        title_words = analyse(title)[1]
        other_words = analyse(" ".join([abstract, *notes.get(pk, [])]))[1]
        count = Counter([s for s, _ in title_words] * 2)
        count.update(s for s, _ in other_words)
        surface: dict[str, str] = {}
        for s, w in (*title_words, *other_words):
            surface.setdefault(s, w)
        ids.append(pk)
        counts.append(count)
        surfaces.append(surface)
    return ids, counts, surfaces


def neighbours_compute(
    ids: list[int],
    counts: list[Counter[str]],
    surfaces: list[dict[str, str]],
    challenges: dict[int, set[int]] | None = None,
) -> list[list[tuple[int, float, list[str]]]]:
    """For each document, its NEIGHBOURS best (id, cosine, shared words): ranked by the
    cosine plus CHALLENGE_BONUS per challenge both papers are placed in. Pure."""
    challenges = challenges or {}
    total = len(counts)
    frequency: Counter[str] = Counter()
    for count in counts:
        frequency.update(count.keys())
    idf = {w: math.log((total + 1) / n) for w, n in frequency.items()}
    common = max(50, int(total * COMMON_SHARE))
    vectors = []
    for count in counts:
        weights = {w: (1 + math.log(n)) * idf[w] for w, n in count.items() if frequency[w] > 1}
        kept = heapq.nlargest(TERMS_PER_PAPER, weights.items(), key=lambda item: item[1])
        norm = math.sqrt(sum(v * v for _, v in kept)) or 1.0
        vectors.append({w: v / norm for w, v in kept})
    # Each challenge's most recently added papers (rows), the pool of challenge-mates.
    members: dict[int, list[int]] = defaultdict(list)
    for row in range(len(ids) - 1, -1, -1):
        for challenge in challenges.get(ids[row], ()):
            if len(members[challenge]) < CHALLENGE_MATES:
                members[challenge].append(row)
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for row, vector in enumerate(vectors):
        for word, value in vector.items():
            if frequency[word] <= common:
                postings[word].append((row, value))
    result = []
    for row, vector in enumerate(vectors):
        scores: dict[int, float] = defaultdict(float)
        for word, value in vector.items():
            for other, weight in postings.get(word, ()):
                scores[other] += value * weight
        scores.pop(row, None)
        mine = challenges.get(ids[row], set())
        pool = {o: s for o, s in scores.items() if s >= MIN_SIMILARITY}
        for challenge in mine:  # papers sharing a challenge compete even without shared words
            for other in members.get(challenge, ()):
                if other != row:
                    pool.setdefault(other, scores.get(other, 0.0))

        def ranking(item: tuple[int, float], mine: set[int] = mine) -> tuple[float, int]:
            other, score = item
            bonus = CHALLENGE_BONUS * len(mine & challenges.get(ids[other], set())) if mine else 0
            return score + bonus, other

        best = heapq.nlargest(NEIGHBOURS, pool.items(), key=ranking)
        found = []
        for other, score in best:
            theirs = vectors[other]
            shared = sorted(
                (w for w in vector if w in theirs and frequency[w] <= common),
                key=lambda w: -vector[w] * theirs[w],
            )[:SHARED_WORDS]
            words = [surfaces[row][w] for w in shared] if score >= MIN_SIMILARITY else []
            found.append((ids[other], round(score, 4), words))
        result.append(found)
    return result


def related_papers_refresh() -> RelatedReport:
    """Recompute every included paper's neighbours and replace the stored ones.

    Reads and computes outside any transaction, then swaps the rows in batches; safe to call
    twice (the second call writes the same rows). Papers no longer included lose theirs.
    """
    started = timezone.now()
    ids, counts, surfaces = _documents()
    neighbours = neighbours_compute(ids, counts, surfaces, _challenges())
    rows = [
        RelatedPaper(
            paper_id=pk,
            related_id=other,
            rank=rank,
            similarity=score,
            words=words,
            computed_at=started,
        )
        for pk, found in zip(ids, neighbours, strict=True)
        for rank, (other, score, words) in enumerate(found, start=1)
    ]
    with transaction.atomic():
        RelatedPaper.objects.exclude(paper_id__in=Paper.objects.included().values("pk")).delete()
        for start in range(0, len(ids), WRITE_BATCH):
            batch = set(ids[start : start + WRITE_BATCH])
            RelatedPaper.objects.filter(paper_id__in=batch).delete()
            RelatedPaper.objects.bulk_create(
                [r for r in rows if r.paper_id in batch], batch_size=WRITE_BATCH
            )
    seconds = (timezone.now() - started).total_seconds()
    logger.debug("related papers: %d papers, %d neighbours, %.1f s", len(ids), len(rows), seconds)
    return RelatedReport(papers=len(ids), neighbours=len(rows), seconds=seconds)
