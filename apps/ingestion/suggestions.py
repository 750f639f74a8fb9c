"""Suggest where a new paper belongs in the taxonomy: a phase, its challenges and directions.

Every target (phase, challenge, research direction) is scored against the paper's title and
abstract with three signals:

1. **keywords** — the curator-editable `keywords` of the target, matched as stemmed words or
   phrases ("fine-tuning" matches "fine-tuned"); a keyword several targets share counts for
   less, a hit in the title for more;
2. **profile** — TF-IDF cosine similarity between the paper and a profile of the target: its
   name and summary plus the titles, abstracts and curator notes of the papers placed there;
3. **neighbours** — the summed similarity of the paper's nearest placed papers in the target
   (a k-nearest-neighbour vote: a challenge holds a few distinct kinds of paper, which one
   averaged profile blurs).

A challenge or direction also inherits part of its phase's score. The best phase and the
best few challenges and directions become pending suggested placements, each with a
confidence (its share of the competing scores) and evidence naming the words of each field
that matched. Papers that already have an accepted placement are left alone.

The model is built once (`SuggestionModel`, pure: no database) and cached per process until
the taxonomy or the accepted placements change (`model_stamp`, a fingerprint of those rows that
no write path can forget to bump). Suggestions are written after the page that created the
papers has committed, so scoring never holds the ingest's write locks. The leave-one-out
evaluation in `bench/ingest_suggestions_loo.py` builds the model from the seed file in memory.
"""

import logging
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.db.models import Count, Max, Sum

from apps.core.terms import analyse, phrase_tokens, stem, tokens
from apps.papers.models import Paper, Placement
from apps.papers.services import PlacementProposal, placement_add_many
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

logger = logging.getLogger(__name__)

__all__ = [  # the text analysis lives in core (related papers use it too); re-exported
    "SuggestionModel",
    "phrase_tokens",
    "placements_suggest",
    "placements_suggest_after_commit",
    "stem",
    "suggestion_model",
    "tokens",
]

KINDS = ("phase", "challenge", "direction")
# Weights chosen by leave-one-out over the seed's curated placements (docs/performance.md).
KEYWORD_WEIGHT = 0.6  # flat between 0.1 and 0.6; the higher end lets curators' keywords steer
PROFILE_WEIGHT = 1.0
NEIGHBOUR_WEIGHT = 1.0
PHASE_SHARE = 0.3  # how much of its phase's score a challenge or direction inherits
NEIGHBOURS = 4  # nearest placed papers that vote for each target
TITLE_BOOST = 2.0
DESCRIPTION_WEIGHT = 2.0  # a target's own name and summary, against one placed paper
MIN_SCORE = 0.05  # below this nothing matched well enough to suggest
MAX_SUGGESTED = {"phase": 1, "challenge": 3, "direction": 2}
EXEMPLARS_PER_TARGET = 500  # most recent accepted placements a target learns from
EVIDENCE_WORDS = 4


@dataclass(slots=True)
class Target:
    """A phase, challenge or direction as the model knows it."""

    kind: str
    pk: int
    name: str
    phase_pk: int
    keywords: list[str] = field(default_factory=list)
    description: str = ""


@dataclass(slots=True)
class Exemplar:
    """A placed paper: its text (title, abstract, curator notes) and where it is placed."""

    paper_id: int
    text: str
    targets: set[tuple[str, int]]


@dataclass(slots=True)
class Scored:
    """One suggested target with its confidence and the evidence for it.

    The evidence is worded when first read: a paper ranks every target, but only the few
    suggested are written, and wording the rest cost a quarter of the scoring."""

    kind: str
    pk: int
    score: float
    confidence: float
    explain: Callable[[], str] = field(repr=False, compare=False)
    _evidence: str | None = field(default=None, repr=False, compare=False)

    @property
    def evidence(self) -> str:
        if self._evidence is None:
            self._evidence = self.explain()
        return self._evidence


@dataclass(slots=True)
class Suggestion:
    """Ranked targets of each kind for one paper (best first, at least MIN_SCORE)."""

    ranked: dict[str, list[Scored]]

    def best(self, kind: str, limit: int) -> list[Scored]:
        return self.ranked.get(kind, [])[:limit]


def _vector(counts: Counter[str], idf: dict[str, float]) -> dict[str, float]:
    vector = {w: (1 + math.log(n)) * idf[w] for w, n in counts.items() if idf.get(w)}
    norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
    return {w: v / norm for w, v in vector.items()}


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(w, 0.0) for w, v in a.items())


class SuggestionModel:
    """Scores a paper against every target (see the module docstring). Pure and read-only
    once built, so one instance serves every thread of a process."""

    def __init__(
        self,
        targets: Sequence[Target],
        exemplars: Sequence[Exemplar],
        *,
        keyword_weight: float = KEYWORD_WEIGHT,
        profile_weight: float = PROFILE_WEIGHT,
        neighbour_weight: float = NEIGHBOUR_WEIGHT,
        phase_share: float = PHASE_SHARE,
    ) -> None:
        self.weights = (keyword_weight, profile_weight, neighbour_weight, phase_share)
        self.targets = list(targets)
        self.index_of = {(t.kind, t.pk): i for i, t in enumerate(self.targets)}
        self.phase_index = {t.pk: i for i, t in enumerate(self.targets) if t.kind == "phase"}
        self.positions_of = {
            kind: tuple(i for i, t in enumerate(self.targets) if t.kind == kind) for kind in KINDS
        }
        self._build_keywords()
        documents = [Counter(tokens(e.text)) for e in exemplars]
        descriptions = [
            Counter(tokens(" ".join([t.name, t.name, t.description, *t.keywords])))
            for t in self.targets
        ]
        frequency: Counter[str] = Counter()
        for document in (*documents, *descriptions):
            frequency.update(document.keys())
        total = len(documents) + len(descriptions)
        # No +1 smoothing: a word every document has (a boilerplate note) weighs nothing.
        self.idf = {w: math.log((total + 1) / n) for w, n in frequency.items()}
        self.exemplar_ids = [e.paper_id for e in exemplars]
        self.exemplar_row = {e.paper_id: i for i, e in enumerate(exemplars)}
        self.exemplar_targets = [
            [self.index_of[t] for t in e.targets if t in self.index_of] for e in exemplars
        ]
        self.vectors = [_vector(d, self.idf) for d in documents]
        self.postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for row, vector in enumerate(self.vectors):
            for word, value in vector.items():
                self.postings[word].append((row, value))
        # A profile is the sum of its papers' vectors plus its own description, kept
        # unnormalised so that leave-one-out can subtract one paper exactly.
        self.sums: list[dict[str, float]] = []
        for description in descriptions:
            vector = _vector(description, self.idf)
            self.sums.append({w: v * DESCRIPTION_WEIGHT for w, v in vector.items()})
        for row, owners in enumerate(self.exemplar_targets):
            for target in owners:
                profile = self.sums[target]
                for word, value in self.vectors[row].items():
                    profile[word] = profile.get(word, 0.0) + value
        self.sum_norms = [math.sqrt(sum(v * v for v in s.values())) or 1.0 for s in self.sums]
        # The profiles by word, so that a paper meets only the profiles sharing its words.
        self.sum_postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for target, profile in enumerate(self.sums):
            for word, value in profile.items():
                self.sum_postings[word].append((target, value))
        self.members: list[list[int]] = [[] for _ in self.targets]
        for row, owners in enumerate(self.exemplar_targets):
            for target in owners:
                self.members[target].append(row)

    def _build_keywords(self) -> None:
        self.phrase_index: dict[tuple[str, ...], list[tuple[int, str]]] = defaultdict(list)
        for position, target in enumerate(self.targets):
            for keyword in target.keywords:
                phrase = phrase_tokens(keyword)
                if phrase and all(position != p for p, _ in self.phrase_index[phrase]):
                    self.phrase_index[phrase].append((position, keyword))
        # Inverse target frequency within each kind: a keyword of many challenges tells little.
        per_kind = Counter(t.kind for t in self.targets)
        self.phrase_weight: dict[tuple[str, ...], dict[str, float]] = {}
        for phrase, owners in self.phrase_index.items():
            kinds = Counter(self.targets[p].kind for p, _ in owners)
            self.phrase_weight[phrase] = {
                kind: math.log(1 + per_kind[kind] / n) / math.log(1 + per_kind[kind])
                for kind, n in kinds.items()
            }
        self.longest = max((len(p) for p in self.phrase_index), default=0)
        # Most words of a text start no keyword: skipping them makes the scan a set lookup.
        self.first_words = frozenset(p[0] for p in self.phrase_index)

    def _scan(self, words: list[str]) -> dict[int, dict[str, float]]:
        """Keyword phrases occurring in `words`, by target: {target: {keyword: weight}}."""
        found: dict[int, dict[str, float]] = defaultdict(dict)
        first_words = self.first_words
        for start in range(len(words)):
            if words[start] not in first_words:
                continue
            for length in range(1, self.longest + 1):
                phrase = tuple(words[start : start + length])
                for position, keyword in self.phrase_index.get(phrase, ()):
                    kind = self.targets[position].kind
                    found[position][keyword] = self.phrase_weight[phrase][kind]
        return found

    def suggest(self, title: str, abstract: str = "", *, exclude: int | None = None) -> Suggestion:
        """Every target of each kind scoring at least MIN_SCORE, best first. `exclude` leaves
        one placed paper out of the model (leave-one-out evaluation)."""
        keyword_weight, profile_weight, neighbour_weight, phase_share = self.weights
        title_all, title_words = analyse(title)
        abstract_all, abstract_words = analyse(abstract)
        counts = Counter([s for s, _ in title_words] * int(TITLE_BOOST))
        counts.update(s for s, _ in abstract_words)
        vector = _vector(counts, self.idf)
        in_title, in_abstract = self._scan(title_all), self._scan(abstract_all)
        # Each stem as the paper spells it, and the field it first appears in.
        surfaces = {s: (w, "abstract") for s, w in reversed(abstract_words)}
        surfaces |= {s: (w, "title") for s, w in reversed(title_words)}

        left_out = self.exemplar_row.get(exclude) if exclude is not None else None
        similarity: dict[int, float] = defaultdict(float)
        for word, value in vector.items():
            for row, weight in self.postings.get(word, ()):
                similarity[row] += value * weight
        if left_out is not None:
            similarity.pop(left_out, None)
        # Each target's NEIGHBOURS most similar members, from the (sparse) rows that share a
        # word with the paper: the others have similarity 0 and add nothing to the sum.
        nearest_of: list[list[float]] = [[] for _ in self.targets]
        for row, value in similarity.items():
            for owner in self.exemplar_targets[row]:
                nearest_of[owner].append(value)

        profiles = self._profile_dots(vector)
        raw = []
        for position in range(len(self.targets)):
            profile = profiles[position]
            norm = self.sum_norms[position]
            if left_out is not None and position in self.exemplar_targets[left_out]:
                own = self.vectors[left_out]
                profile -= _dot(vector, own)
                squared = norm * norm - 2 * _dot(self.sums[position], own) + _dot(own, own)
                norm = math.sqrt(max(squared, 1e-12))
            profile /= norm
            nearest = sorted(nearest_of[position], reverse=True)[:NEIGHBOURS]
            keywords: float = 0
            if position in in_title or position in in_abstract:
                keywords = sum((in_title[position] | in_abstract[position]).values())
                keywords += sum(in_title[position].values()) * (TITLE_BOOST - 1)
            raw.append(
                keyword_weight * keywords / 3
                + profile_weight * profile
                + neighbour_weight * sum(nearest) / NEIGHBOURS
            )
        totals = list(raw)
        for position, target in enumerate(self.targets):
            if target.kind != "phase" and target.phase_pk in self.phase_index:
                totals[position] += phase_share * raw[self.phase_index[target.phase_pk]]

        ranked: dict[str, list[Scored]] = {}
        for kind in KINDS:
            positions = list(self.positions_of[kind])
            positions.sort(key=lambda p: (-totals[p], self.targets[p].pk))
            competing = sum(max(totals[p], 0.0) for p in positions[:5]) or 1.0
            ranked[kind] = [
                Scored(
                    kind,
                    self.targets[p].pk,
                    totals[p],
                    round(min(max(totals[p] / competing, 0.0), 1.0), 3),
                    partial(self._evidence, p, in_title, in_abstract, vector, surfaces, similarity),
                )
                for p in positions
                # What a target inherits from its phase ranks it, but cannot alone make it a
                # suggestion: something of its own must have matched.
                if totals[p] >= MIN_SCORE and raw[p] >= MIN_SCORE / 2
            ]
        return Suggestion(ranked)

    def _profile_dots(self, vector: dict[str, float]) -> list[float]:
        """`_dot(vector, profile)` for every target's profile, summed in the same order (the
        paper's words) through the profiles' postings instead of a lookup per word and target;
        a profile smaller than the paper is dotted directly, as `_dot` would iterate it."""
        dots = [0.0] * len(self.sums)
        for word, value in vector.items():
            for target, weight in self.sum_postings.get(word, ()):
                dots[target] += value * weight
        for target, profile in enumerate(self.sums):
            if len(profile) < len(vector):
                dots[target] = _dot(vector, profile)
        return dots

    def _evidence(
        self,
        position: int,
        in_title: dict[int, dict[str, float]],
        in_abstract: dict[int, dict[str, float]],
        vector: dict[str, float],
        surfaces: dict[str, tuple[str, str]],
        similarity: dict[int, float],
    ) -> str:
        """Which words of which field matched, in words a curator can check."""
        parts = []
        title_hits = sorted(in_title[position])
        abstract_hits = sorted(set(in_abstract[position]) - set(title_hits))
        if title_hits:
            parts.append("keywords in the title: " + ", ".join(title_hits))
        if abstract_hits:
            parts.append("keywords in the abstract: " + ", ".join(abstract_hits))
        profile = self.sums[position]
        shared = sorted(
            ((value * profile[w], w) for w, value in vector.items() if w in profile),
            reverse=True,
        )[:EVIDENCE_WORDS]
        if shared:
            words = ["{} ({})".format(*surfaces.get(stem_, (stem_, "text"))) for _, stem_ in shared]
            parts.append("words shared with its papers and description: " + ", ".join(words))
        near = sum(1 for row in self.members[position] if similarity.get(row, 0.0) > 0.1)
        if near:
            parts.append(f"{near} placed paper{'s' if near != 1 else ''} with similar wording")
        name = self.targets[position].name
        return f"{name}: " + ("; ".join(parts) if parts else "weak textual match") + "."


# --- Building the model from the database, cached ------------------------------------------

_cache_lock = threading.Lock()
_cached: tuple[tuple, SuggestionModel] | None = None


def model_stamp() -> tuple:
    """A fingerprint of everything the model learns from: the accepted placements (count,
    ids, latest change) and the taxonomy (counts, latest edit). Any write — through a service,
    the admin or a bulk load — changes it, so no writer has to remember to invalidate."""
    placed = Placement.objects.accepted().aggregate(
        n=Count("pk"), ids=Sum("pk"), changed=Max("updated_at")
    )
    stamp: list[object] = [placed["n"], placed["ids"], placed["changed"]]
    for model in (Phase, Challenge, ResearchDirection):
        row = model.objects.aggregate(n=Count("pk"), ids=Sum("pk"), changed=Max("updated_at"))
        stamp += [row["n"], row["ids"], row["changed"]]
    return tuple(stamp)


def targets_from_database() -> list[Target]:
    """Every phase, challenge and direction with its keywords and descriptive text."""
    targets = []
    for phase in Phase.objects.prefetch_related("status_topics").order_by("order"):
        topics = " ".join(t.name for t in phase.status_topics.all())
        text = f"{phase.summary} {phase.description} {topics}"
        targets.append(Target("phase", phase.pk, phase.name, phase.pk, phase.keywords or [], text))
    for challenge in Challenge.objects.order_by("phase__order", "position", "pk"):
        targets.append(
            Target(
                "challenge",
                challenge.pk,
                challenge.name,
                challenge.phase_id,
                list(challenge.keywords or []),
                f"{challenge.summary} {challenge.description}",
            )
        )
    directions = ResearchDirection.objects.prefetch_related("challenges").order_by(
        "phase__order", "position", "pk"
    )
    for direction in directions:
        # A direction speaks the words of the challenges it addresses.
        keywords = [k for c in direction.challenges.all() for k in (c.keywords or [])]
        targets.append(
            Target(
                "direction",
                direction.pk,
                direction.name,
                direction.phase_id,
                keywords,
                f"{direction.summary} {direction.description}",
            )
        )
    return targets


def exemplars_from_database() -> list[Exemplar]:
    """The papers of accepted placements (each target's most recent EXEMPLARS_PER_TARGET),
    with their titles, abstracts and the notes people (not the suggester) wrote."""
    rows = (
        Placement.objects.accepted()
        .order_by("-id")
        .values_list("paper_id", "phase_id", "challenge_id", "direction_id", "origin", "evidence")
    )
    taken: Counter[tuple[str, int]] = Counter()
    targets: dict[int, set[tuple[str, int]]] = defaultdict(set)
    notes: dict[int, list[str]] = defaultdict(list)
    for paper_id, phase_id, challenge_id, direction_id, origin, evidence in rows.iterator():
        if direction_id:
            key = ("direction", direction_id)
        elif challenge_id:
            key = ("challenge", challenge_id)
        else:
            key = ("phase", phase_id)
        if taken[key] >= EXEMPLARS_PER_TARGET:
            continue
        taken[key] += 1
        targets[paper_id].add(key)
        targets[paper_id].add(("phase", phase_id))
        if origin != Placement.Origin.SUGGESTED and evidence and evidence not in notes[paper_id]:
            notes[paper_id].append(evidence)
    papers = Paper.objects.filter(pk__in=list(targets)).values_list("pk", "title", "abstract")
    return [
        Exemplar(pk, " ".join([title, abstract, *notes[pk]]), targets[pk])
        for pk, title, abstract in papers.iterator()
    ]


def suggestion_model() -> SuggestionModel:
    """The model for the current taxonomy and placements: built on first use, then reused
    until `model_stamp` changes (five aggregate queries per call)."""
    global _cached
    stamp = model_stamp()
    with _cache_lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    model = SuggestionModel(targets_from_database(), exemplars_from_database())
    with _cache_lock:
        _cached = (stamp, model)
    logger.info("suggestion model: %d targets, %d papers", len(model.targets), len(model.vectors))
    return model


def placements_suggest(*, paper_ids: Sequence[int]) -> int:
    """Add pending suggested placements (a phase, challenges, directions) for the papers.

    Call it after the transaction that created the papers has committed: it only reads
    until the final insert (`placement_add_many`, its own short transaction). Papers with an
    accepted placement are skipped; an existing placement for the same target is never
    touched, so calling twice adds nothing the second time. Returns how many were created.
    """
    if not paper_ids:
        return 0
    decided = set(
        Placement.objects.accepted()
        .filter(paper_id__in=paper_ids)
        .values_list("paper_id", flat=True)
    )
    papers = list(
        Paper.objects.filter(pk__in=paper_ids)
        .exclude(pk__in=decided)
        .order_by("pk")
        .values_list("pk", "title", "abstract")
    )
    if not papers:
        return 0
    model = suggestion_model()
    rows: dict[str, Mapping[Any, Phase | Challenge | ResearchDirection]] = {
        "phase": Phase.objects.in_bulk(),
        "challenge": Challenge.objects.in_bulk(),
        "direction": ResearchDirection.objects.in_bulk(),
    }
    proposals = []
    for pk, title, abstract in papers:
        suggestion = model.suggest(title, abstract)
        for kind, limit in MAX_SUGGESTED.items():
            for scored in suggestion.best(kind, limit):
                target = rows[kind].get(scored.pk)
                if target is None:  # deleted since the model was built
                    continue
                proposals.append(
                    PlacementProposal(
                        pk,
                        target,
                        Placement.Origin.SUGGESTED,
                        scored.confidence,
                        f"Suggested for {kind} {scored.evidence}",
                    )
                )
    return placement_add_many(proposals=proposals)


def placements_suggest_after_commit(paper_ids: Iterable[int]) -> None:
    """Schedule `placements_suggest` for when the current transaction commits (at once if
    none is open), so an ingest's write locks are never held while papers are scored."""

    from django.db import transaction

    ids = list(paper_ids)
    if ids:
        transaction.on_commit(partial(placements_suggest, paper_ids=ids), robust=True)
