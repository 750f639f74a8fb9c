"""The suggestion service: pending suggested placements with confidence and evidence, never
touching what exists, learning from keywords curators edit, and better than a trivial guess."""

from collections import Counter

import pytest

from apps.ingestion.suggestions import (
    phase_accuracy_leave_one_out,
    phrase_tokens,
    placements_suggest,
    tokens,
)
from apps.papers.models import Paper, Placement
from apps.taxonomy.models import Challenge, Phase
from tests.factories import PaperFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def inbox_paper(title: str, abstract: str = "") -> Paper:
    return PaperFactory(title=title, abstract=abstract, status=Paper.Status.INBOX)


def test_stemming_matches_word_forms() -> None:
    assert tokens("Fine-tuned requirements") == list(phrase_tokens("fine-tuning requirement"))


def test_keywords_made_of_common_words_still_match(survey) -> None:  # type: ignore[no-untyped-def]
    """ "model merging" and "LLM-as-a-judge" hold stop words; phrases match the full text."""
    from apps.ingestion.suggestions import model_from_database

    model = model_from_database()
    merging = model.suggest("Model merging of fine-tuned checkpoints")
    judge = model.suggest("Are LLM-as-a-judge evaluations reliable?")

    assert merging is not None
    assert "model merging" in merging.evidence
    assert judge is not None
    assert "LLM-as-a-judge" in judge.evidence


def test_a_paper_gets_a_phase_and_challenge_suggestion_with_evidence(survey) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper(
        "Detecting benchmark contamination and data leakage in code LLM evaluation",
        "We measure contamination of popular benchmarks and propose decontamination.",
    )

    created = placements_suggest(paper_ids=[paper.pk])

    placements = list(paper.placements.select_related("phase", "challenge"))
    assert created == len(placements) >= 2
    assert {(p.origin, p.review_state) for p in placements} == {("suggested", "pending")}
    phase = next(p for p in placements if p.challenge_id is None)
    assert phase.phase.slug == "testing-evaluation"
    assert "benchmark" in phase.evidence
    assert 0 < phase.confidence <= 1
    challenges = {p.challenge.slug for p in placements if p.challenge_id}
    assert "benchmark-saturation-contamination" in challenges
    contamination = next(p for p in placements if p.challenge_id and "contamination" in p.evidence)
    assert "contamination" in contamination.evidence


def test_suggesting_twice_adds_nothing_and_keeps_curator_decisions(survey, curator) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper("Quantization of LLMs for on-device inference and serving latency")
    placements_suggest(paper_ids=[paper.pk])
    suggestion = paper.placements.filter(challenge__isnull=True).get()
    suggestion.review_state = Placement.ReviewState.REJECTED
    suggestion.save()

    again = placements_suggest(paper_ids=[paper.pk])

    suggestion.refresh_from_db()
    assert again == 0
    assert suggestion.review_state == "rejected"


def test_papers_with_an_accepted_placement_are_left_alone(survey) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper("Jailbreak attacks and red teaming of chat models")
    PlacementFactory(paper=paper, phase=Phase.objects.get(slug="requirements-engineering"))

    assert placements_suggest(paper_ids=[paper.pk]) == 0
    assert paper.placements.count() == 1


def test_nothing_is_suggested_when_nothing_matches(survey) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper("Zebrafish embryos under polarised moonlight")

    assert placements_suggest(paper_ids=[paper.pk]) == 0


def test_curator_edited_keywords_change_the_suggestion(survey) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper("Zebrafish embryos under polarised moonlight")
    phase = Phase.objects.get(slug="maintenance-evolution")
    phase.keywords = [*phase.keywords, "zebrafish"]
    phase.save()
    challenge = Challenge.objects.get(slug="behaviour-drift")
    challenge.keywords = [*challenge.keywords, "moonlight"]
    challenge.save()

    placements_suggest(paper_ids=[paper.pk])

    assert {(p.phase.slug, p.challenge_id) for p in paper.placements.all()} == {
        ("maintenance-evolution", None),
        ("maintenance-evolution", challenge.pk),
    }


def test_suggestions_take_the_same_queries_for_3_and_15_papers(survey) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int) -> tuple[int, int]:
        papers = [inbox_paper(f"Benchmark contamination in code evaluation {i}") for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            created = placements_suggest(paper_ids=[p.pk for p in papers])
        return len(captured), created

    few, created_few = queries(3)
    many, created_many = queries(15)  # inserts are batched (SQLite: ~90 rows per statement)

    assert created_many == 5 * created_few > 0
    assert few == many


def test_leave_one_out_over_the_seed_beats_the_majority_guess(survey) -> None:  # type: ignore[no-untyped-def]
    evaluation = phase_accuracy_leave_one_out()
    # The majority guess: the biggest phase among the papers placed in exactly one phase.
    phases_of: dict[int, set[int]] = {}
    for paper_id, phase_id in Placement.objects.accepted().values_list("paper_id", "phase_id"):
        phases_of.setdefault(paper_id, set()).add(phase_id)
    single = Counter(next(iter(p)) for p in phases_of.values() if len(p) == 1)
    biggest_phase = max(single.values())

    assert evaluation.total >= 280  # seed v2: papers placed in exactly one phase
    assert evaluation.accuracy >= 0.7  # measured 0.79 on seed v2 (0.82 on v1's 136 papers)
    # Seed v2 is lopsided (45% of these papers sit in one phase), so "twice the majority
    # guess" (v1's bar, at 21%) cannot be reached; a clear margin over it still must be.
    assert evaluation.accuracy > 1.5 * biggest_phase / evaluation.total
