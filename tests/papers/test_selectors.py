"""Who sees what, and the counts behind charts."""

import pytest
from django.contrib.auth.models import AnonymousUser

from apps.core.exceptions import ApplicationError
from apps.papers.models import Paper, Placement
from apps.papers.selectors import paper_counts, papers_visible_to, placements_visible_to
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def test_the_public_sees_included_papers_and_accepted_placements_only(curator) -> None:  # type: ignore[no-untyped-def]
    included = PaperFactory()
    inbox = PaperFactory(status=Paper.Status.INBOX)
    accepted = PlacementFactory(paper=included)
    PlacementFactory(
        paper=included, origin="suggested", review_state="pending", phase=PhaseFactory()
    )
    PlacementFactory(paper=inbox)

    assert list(papers_visible_to(AnonymousUser())) == [included]
    assert list(placements_visible_to(AnonymousUser())) == [accepted]
    assert papers_visible_to(curator).count() == 2
    assert placements_visible_to(curator).count() == 3


def test_counts_by_phase_challenge_and_year() -> None:
    phase = PhaseFactory(slug="testing", order=1)
    other = PhaseFactory(slug="deploy", order=2)
    challenge = ChallengeFactory(phase=phase, slug="oracles")
    a = PaperFactory(year=2023)
    b = PaperFactory(year=2024)
    c = PaperFactory(year=2024, status=Paper.Status.INBOX)
    PlacementFactory(paper=a, phase=phase)
    PlacementFactory(paper=a, challenge=challenge)  # same paper twice in the phase: counted once
    PlacementFactory(paper=b, challenge=challenge)
    PlacementFactory(paper=b, phase=other)
    PlacementFactory(paper=c, phase=other)
    PlacementFactory(paper=a, phase=other, review_state=Placement.ReviewState.REJECTED)
    papers = Paper.objects.included()

    assert paper_counts(papers, ["phase"]) == [
        {"phase": "testing", "count": 2},
        {"phase": "deploy", "count": 1},
    ]
    assert paper_counts(papers, ["challenge", "year"]) == [
        {"challenge": "oracles", "year": 2023, "count": 1},
        {"challenge": "oracles", "year": 2024, "count": 1},
    ]
    assert paper_counts(papers, ["phase", "challenge"]) == [
        {"phase": "testing", "challenge": "oracles", "count": 2}
    ]
    assert paper_counts(papers, ["year"]) == [
        {"year": 2023, "count": 1},
        {"year": 2024, "count": 1},
    ]


@pytest.mark.parametrize(
    "group_by", [[], ["venue"], ["challenge", "direction"], ["phase", "challenge", "year"]]
)
def test_impossible_groupings_are_explained(group_by: list[str]) -> None:
    with pytest.raises(ApplicationError, match="group_by"):
        paper_counts(Paper.objects.all(), group_by)
