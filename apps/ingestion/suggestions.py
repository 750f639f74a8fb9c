"""Suggest where a new paper belongs in the taxonomy: a phase, and the challenges it touches.

Each phase is scored against the paper's title and abstract with two signals:

1. **keywords** — the curator-editable `keywords` of the phase and of its challenges, matched
   as stemmed words or phrases ("fine-tuning" matches "fine-tuned"); a keyword that several
   phases share counts for less (inverse phase frequency), a hit in the title for more;
2. **text** — TF-IDF cosine similarity between the paper and a profile of the phase: its name,
   summary, description, status topics, challenges and directions, plus the titles and
   abstracts of papers curators (or the survey) have placed there. The profile learns from
   every accepted placement.

The best phase becomes a pending suggested placement with a confidence (its share of the
combined score) and evidence naming what matched; challenges of any phase whose keywords
matched become suggestions too. Papers that already have an accepted placement are left alone:
a person has decided where they belong.

Pure scoring (`SuggestionModel`) is separate from the database so that the leave-one-out
evaluation in `bench/ingest_suggestions_loo.py` can rebuild it cheaply without one paper.
"""

import logging
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.db import transaction
from django.db.models import Prefetch

from apps.core.text import fold
from apps.papers.models import Paper, Placement
from apps.papers.services import PlacementProposal, placement_add_many
from apps.taxonomy.models import Challenge, Phase

logger = logging.getLogger(__name__)

# Weights found by leave-one-out over the survey's seed papers (docs/performance.md).
KEYWORD_WEIGHT = 1.0
TEXT_WEIGHT = 4.0
TITLE_BOOST = 2.0
MIN_PHASE_SCORE = 0.15  # below this, nothing matched well enough to suggest anything
MIN_CHALLENGE_HITS = 1
MAX_CHALLENGES = 3
EXEMPLARS_PER_PHASE = 500  # most recent accepted placements a profile learns from

_STOP = frozenset(
    (  # noqa: SIM905 - a word list reads better as prose
        "a an and are as at be by for from has have in into is it its of on or our that the "
        "their this to towards via we with what when where which while how can do does using "
        "based study studies approach approaches toward large language model models llm llms "
        "under over between not no new more most all any both each other such than then "
        "these those through about across after before beyond within without up down out off "
        "only also very well further here there who whom why will would should could may "
        "might must shall been being was were if but so because one two three first second "
        "vs versus per number part"
    ).split()
)


@lru_cache(maxsize=200_000)  # words repeat across abstracts: stem each once per process
def stem(word: str) -> str:
    """A deliberately small suffix stripper: enough for "requirements"/"requirement",
    "tuning"/"tuned"/"tune", without a dependency."""
    for suffix in ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s"):
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            if suffix in ("ies", "ied"):
                word += "y"
            break
    return word


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    # ASCII text needs no accent folding; skipping it halves the cost on arXiv abstracts.
    folded = text.lower() if text.isascii() else fold(text)
    return [w for w in _WORD.findall(folded) if len(w) > 1]


def analyse(text: str) -> tuple[list[str], list[str]]:
    """(every stemmed word, in order — for keyword phrases such as "model merging";
    the stemmed content words, stop words removed — for text similarity)."""
    words = _words(text)
    return [stem(w) for w in words], [stem(w) for w in words if w not in _STOP]


def tokens(text: str) -> list[str]:
    """Folded, stemmed content words of `text` (stop words removed)."""
    return analyse(text)[1]


def phrase_tokens(keyword: str) -> tuple[str, ...]:
    """A keyword as the stemmed word sequence it matches in a text's full word list."""
    return tuple(stem(w) for w in _words(keyword))


@dataclass(slots=True)
class TargetProfile:
    """What a phase or challenge is known by: keywords and descriptive text."""

    pk: int
    name: str
    keywords: list[str]
    text: str = ""
    exemplars: list[str] = field(default_factory=list)  # titles/abstracts placed here
    phase_pk: int | None = None  # for challenges


@dataclass(slots=True)
class Suggestion:
    """A scored phase (and matching challenges) for one paper, with the evidence."""

    phase_pk: int
    confidence: float
    score: float
    evidence: str
    challenges: list[tuple[int, float, str]] = field(default_factory=list)


def _scan(
    words: list[str], index: dict[tuple[str, ...], list[tuple[str, int, str]]], longest: int
) -> dict[tuple[str, int], set[str]]:
    """Every keyword phrase occurring (as consecutive stemmed words) in `words`, by the target
    ("phase" or "challenge", position) it belongs to: one pass over the text for all targets."""
    found: dict[tuple[str, int], set[str]] = defaultdict(set)
    for start in range(len(words)):
        for length in range(1, longest + 1):
            owners = index.get(tuple(words[start : start + length]))
            if owners is not None:
                for kind, position, keyword in owners:
                    found[kind, position].add(keyword)
    return found


class SuggestionModel:
    """Scores papers against phases and challenges (see the module docstring)."""

    def __init__(
        self,
        phases: list[TargetProfile],
        challenges: list[TargetProfile],
        *,
        keyword_weight: float = KEYWORD_WEIGHT,
        text_weight: float = TEXT_WEIGHT,
    ) -> None:
        self.keyword_factor = keyword_weight
        self.text_factor = text_weight
        self.phases = phases
        self.challenges = challenges
        # keyword phrase → (target kind, index); a phrase can name several targets
        self.phase_phrases: list[dict[tuple[str, ...], str]] = []
        for phase in phases:
            self.phase_phrases.append({phrase_tokens(k): k for k in phase.keywords if k.strip()})
        self.challenge_phrases: list[dict[tuple[str, ...], str]] = [
            {phrase_tokens(k): k for k in c.keywords if k.strip()} for c in challenges
        ]
        # Inverse phase frequency of each phrase: shared keywords discriminate less.
        owners: dict[tuple[str, ...], set[int]] = defaultdict(set)
        for index, phrases in enumerate(self.phase_phrases):
            for phrase in phrases:
                owners[phrase].add(index)
        phase_index = {p.pk: i for i, p in enumerate(phases)}
        for challenge, phrases in zip(challenges, self.challenge_phrases, strict=True):
            for phrase in phrases:
                if challenge.phase_pk in phase_index:
                    owners[phrase].add(phase_index[challenge.phase_pk])
        self.keyword_weight = {
            phrase: math.log(1 + len(phases) / len(who)) / math.log(1 + len(phases))
            for phrase, who in owners.items()
        }
        # One index from phrase to every target naming it, so a text is scanned once.
        self.phrase_index: dict[tuple[str, ...], list[tuple[str, int, str]]] = defaultdict(list)
        self.weight_of: dict[str, float] = {}
        for kind, tables in (("phase", self.phase_phrases), ("challenge", self.challenge_phrases)):
            for position, phrases in enumerate(tables):
                for phrase, keyword in phrases.items():
                    self.phrase_index[phrase].append((kind, position, keyword))
                    self.weight_of[keyword] = self.keyword_weight.get(phrase, 0.5)
        self.longest = max((len(p) for p in self.phrase_index), default=0)
        # TF-IDF profiles of each phase over the phase texts and exemplars.
        documents = [
            tokens(" ".join([p.text, *p.exemplars])) + [t for k in p.keywords for t in tokens(k)]
            for p in phases
        ]
        frequency: Counter[str] = Counter()
        for document in documents:
            frequency.update(set(document))
        self.idf = {w: math.log((1 + len(phases)) / (1 + n)) + 1 for w, n in frequency.items()}
        self.profiles = [self._vector(d) for d in documents]

    def _vector(self, words: Iterable[str]) -> dict[str, float]:
        counts = Counter(w for w in words if w in self.idf)
        vector = {w: (1 + math.log(n)) * self.idf[w] for w, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {w: v / norm for w, v in vector.items()}

    def suggest(self, title: str, abstract: str = "") -> Suggestion | None:
        """The best phase for a paper (and matching challenges), or None if nothing fits."""
        (title_all, title_words), (abstract_all, abstract_words) = analyse(title), analyse(abstract)
        paper_vector = self._vector(title_words * 2 + abstract_words)
        in_title = _scan(title_all, self.phrase_index, self.longest)
        in_abstract = _scan(abstract_all, self.phrase_index, self.longest)
        scores = []
        for index in range(len(self.phases)):
            hits_title = in_title.get(("phase", index), set())
            hits_abstract = in_abstract.get(("phase", index), set()) - hits_title
            keyword_score = sum(self.weight_of[k] * TITLE_BOOST for k in hits_title) + sum(
                self.weight_of[k] for k in hits_abstract
            )
            similarity = sum(
                value * self.profiles[index].get(word, 0.0) for word, value in paper_vector.items()
            )
            total = self.keyword_factor * keyword_score + self.text_factor * similarity
            scores.append((total, index, sorted(hits_title | hits_abstract), similarity))
        scores.sort(key=lambda s: (-s[0], s[1]))
        best, index, hits, similarity = scores[0]
        if best < MIN_PHASE_SCORE:
            return None
        share = best / (sum(max(s[0], 0.0) for s in scores) or 1.0)
        phase = self.phases[index]
        parts = []
        if hits:
            parts.append("keywords: " + ", ".join(hits))
        parts.append(f"text similarity {similarity:.2f} to this phase's description and papers")
        suggestion = Suggestion(
            phase_pk=phase.pk,
            confidence=round(min(max(share, 0.0), 1.0), 3),
            score=best,
            evidence=f"Suggested for {phase.name}: " + "; ".join(parts) + ".",
        )
        matched = []
        for position, challenge in enumerate(self.challenges):
            key = ("challenge", position)
            hits = sorted(in_title.get(key, set()) | in_abstract.get(key, set()))
            if len(hits) >= MIN_CHALLENGE_HITS:
                weight = sum(self.weight_of[k] for k in hits)
                in_phase = challenge.phase_pk == phase.pk
                matched.append((weight + (1.0 if in_phase else 0.0), challenge, hits))
        matched.sort(key=lambda m: (-m[0], m[1].pk))
        for weight, challenge, hits in matched[:MAX_CHALLENGES]:
            suggestion.challenges.append(
                (
                    challenge.pk,
                    round(min(weight / 3.0, 1.0), 3),
                    f"Suggested for challenge {challenge.name}: keywords " + ", ".join(hits) + ".",
                )
            )
        return suggestion


def model_from_database(
    *, exclude_paper_ids: Sequence[int] = (), **weights: float
) -> SuggestionModel:
    """Build the model from the taxonomy and accepted placements (a fixed number of queries),
    leaving out the papers in `exclude_paper_ids` (for leave-one-out evaluation)."""
    phases = list(
        Phase.objects.prefetch_related(
            "status_topics",
            "directions",
            Prefetch("challenges", queryset=Challenge.objects.order_by("position", "pk")),
        ).order_by("order")
    )
    exemplars: dict[int, list[str]] = defaultdict(list)
    placed = (
        Placement.objects.accepted()
        .exclude(paper_id__in=list(exclude_paper_ids))
        .order_by("-id")
        .values_list("phase_id", "paper__title", "paper__abstract")
    )
    for phase_id, title, abstract in placed:
        if len(exemplars[phase_id]) < EXEMPLARS_PER_PHASE:
            exemplars[phase_id].append(f"{title}. {title}. {abstract}")
    phase_profiles, challenge_profiles = [], []
    for phase in phases:
        text = [phase.name, phase.name, phase.summary, phase.description]
        text += [t.name for t in phase.status_topics.all()]
        text += [f"{d.name} {d.summary}" for d in phase.directions.all()]
        for challenge in phase.challenges.all():
            text.append(f"{challenge.name} {challenge.summary}")
            challenge_profiles.append(
                TargetProfile(
                    pk=challenge.pk,
                    name=challenge.name,
                    keywords=list(challenge.keywords or []),
                    phase_pk=phase.pk,
                )
            )
        phase_profiles.append(
            TargetProfile(
                pk=phase.pk,
                name=phase.name,
                keywords=list(phase.keywords or []),
                text=" ".join(text),
                exemplars=exemplars.get(phase.pk, []),
            )
        )
    return SuggestionModel(phase_profiles, challenge_profiles, **weights)


@dataclass(slots=True)
class Evaluation:
    """Top-1 phase accuracy of leave-one-out over the papers with an accepted phase."""

    correct: int
    total: int
    abstained: int  # papers for which nothing scored above MIN_PHASE_SCORE

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def phase_accuracy_leave_one_out(**weights: float) -> Evaluation:
    """For each paper placed (accepted) in exactly one phase, rebuild the model without it and
    check that its top suggestion is that phase. Reads only; writes nothing."""
    placed: dict[int, set[int]] = defaultdict(set)
    for paper_id, phase_id in Placement.objects.accepted().values_list("paper_id", "phase_id"):
        placed[paper_id].add(phase_id)
    papers = Paper.objects.in_bulk([pk for pk, phases in placed.items() if len(phases) == 1])
    correct = abstained = 0
    for pk, paper in papers.items():
        model = model_from_database(exclude_paper_ids=[pk], **weights)
        suggestion = model.suggest(paper.title, paper.abstract)
        if suggestion is None:
            abstained += 1
        elif suggestion.phase_pk in placed[pk]:
            correct += 1
    return Evaluation(correct=correct, total=len(papers), abstained=abstained)


@transaction.atomic
def placements_suggest(*, paper_ids: Sequence[int]) -> int:
    """Add pending suggested placements (phase and challenges) for the given papers.

    Papers with an accepted placement are skipped; an existing placement for the same target is
    never touched (`placement_add`'s rules, applied set-wise by `placement_add_many`), so
    calling twice adds nothing the second time. Returns how many placements were created.
    """
    if not paper_ids:
        return 0
    decided = set(
        Placement.objects.accepted()
        .filter(paper_id__in=paper_ids)
        .values_list("paper_id", flat=True)
    )
    papers = (
        Paper.objects.filter(pk__in=paper_ids)
        .exclude(pk__in=decided)
        .order_by("pk")
        .values_list("pk", "title", "abstract")
    )
    phases = {p.pk: p for p in Phase.objects.all()}
    if not phases:
        return 0
    challenges = Challenge.objects.in_bulk()
    model = model_from_database()
    proposals = []
    for pk, title, abstract in papers:
        suggestion = model.suggest(title, abstract)
        if suggestion is None:
            continue
        proposals.append(
            PlacementProposal(
                pk,
                phases[suggestion.phase_pk],
                Placement.Origin.SUGGESTED,
                suggestion.confidence,
                suggestion.evidence,
            )
        )
        proposals += [
            PlacementProposal(
                pk, challenges[challenge_pk], Placement.Origin.SUGGESTED, confidence, evidence
            )
            for challenge_pk, confidence, evidence in suggestion.challenges
        ]
    return placement_add_many(proposals=proposals)
