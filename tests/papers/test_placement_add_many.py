"""placement_add_many: placement_add's rules for many proposals in a fixed number of queries."""

import pytest

from apps.papers.models import Placement
from apps.papers.services import PlacementProposal, placement_add_many
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def test_existing_and_repeated_targets_are_left_alone() -> None:
    paper, other = PaperFactory.create_batch(2)
    phase = PhaseFactory()
    challenge = ChallengeFactory(phase=phase)
    rejected = PlacementFactory(
        paper=paper, phase=phase, origin="suggested", review_state="rejected"
    )
    proposals = [
        PlacementProposal(paper.pk, phase, "suggested", 0.9, "again"),  # exists: untouched
        PlacementProposal(paper.pk, challenge, "suggested", 0.5, "new"),
        PlacementProposal(paper.pk, challenge, "suggested", 0.7, "repeat in the batch"),
        PlacementProposal(other.pk, phase, "survey", None, "cited"),
    ]

    created = placement_add_many(proposals=proposals)
    again = placement_add_many(proposals=proposals)

    rejected.refresh_from_db()
    assert (created, again) == (2, 0)
    assert (rejected.review_state, rejected.evidence) == ("rejected", "")
    new = Placement.objects.get(paper=paper, challenge=challenge)
    assert (new.phase_id, new.review_state, new.confidence, new.evidence) == (
        phase.pk,
        "pending",
        0.5,
        "new",
    )
    survey = Placement.objects.get(paper=other)
    assert (survey.review_state, survey.reviewed_at is not None) == ("accepted", True)
    assert new.history.count() == 1  # history kept, as for single writes


def test_many_proposals_take_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory()
    papers = PaperFactory.create_batch(30)

    with django_assert_max_num_queries(7):  # 2 savepoints, 1 select, 2 inserts, 2 releases
        created = placement_add_many(
            proposals=[PlacementProposal(p.pk, phase, "suggested", 0.4) for p in papers]
        )

    assert created == 30


def test_a_confidence_outside_0_to_1_is_refused() -> None:
    from apps.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match=r"outside 0\.\.1"):
        placement_add_many(
            proposals=[PlacementProposal(PaperFactory().pk, PhaseFactory(), "suggested", 1.5)]
        )
    assert Placement.objects.count() == 0
