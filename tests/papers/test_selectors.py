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


def test_challenge_samples_are_each_challenges_newest_visible_papers(curator) -> None:  # type: ignore[no-untyped-def]
    """One slice per challenge (a UNION on PostgreSQL, one IN each on SQLite): the same
    papers as ranking every placement, for busy and quiet challenges alike."""
    import random
    from datetime import UTC, datetime

    from apps.papers.selectors import challenge_paper_samples

    rng = random.Random(5)
    phase = PhaseFactory()
    busy, quiet, empty = (ChallengeFactory(phase=phase) for _ in range(3))
    for n in range(40):
        paper = PaperFactory(
            status=rng.choice([Paper.Status.INCLUDED] * 3 + [Paper.Status.INBOX]),
            published_at=None
            if n % 9 == 0
            else datetime(2020 + n % 5, 1 + n % 12, 1 + n % 7, tzinfo=UTC),
        )
        state = rng.choice(["accepted", "accepted", "pending"])
        PlacementFactory(paper=paper, challenge=busy, review_state=state)
        if n % 13 == 0:
            PlacementFactory(paper=paper, challenge=quiet)

    def expected(public: bool) -> dict[int, list[int]]:
        by_challenge: dict[int, list[Placement]] = {}
        placements = Placement.objects.accepted().filter(challenge__isnull=False)
        for placement in placements.select_related("paper"):
            if public and placement.paper.status != Paper.Status.INCLUDED:
                continue
            by_challenge.setdefault(placement.challenge_id, []).append(placement)
        newest = {}
        for challenge_id, rows in by_challenge.items():
            rows.sort(key=lambda p: p.paper_id, reverse=True)  # ties: newest id first
            rows.sort(key=lambda p: p.paper.published_at is None)  # undated last
            dated = [p for p in rows if p.paper.published_at is not None]
            dated.sort(key=lambda p: p.paper.published_at, reverse=True)
            undated = [p for p in rows if p.paper.published_at is None]
            newest[challenge_id] = [p.paper_id for p in (dated + undated)[:5]]
        return newest

    for user, public in ((AnonymousUser(), True), (curator, False)):
        samples = challenge_paper_samples([busy, quiet, empty], user, per_challenge=5)
        got = {cid: [p.paper_id for p in rows] for cid, rows in samples.items()}
        assert got == expected(public)
        assert empty.pk not in got
        assert len(got[busy.pk]) == 5
        assert 1 <= len(got[quiet.pk]) <= 4
    assert challenge_paper_samples([], AnonymousUser()) == {}


def test_facet_counts_in_one_statement_equal_each_grouping_alone() -> None:
    """The four facets of one set (a search's matches, say), counted in one statement, are
    what counting each alone gives: distinct papers, accepted placements, papers without a
    year under None."""
    import random

    from apps.papers.models import Category
    from apps.papers.selectors import category_counts, facet_counts

    rng = random.Random(9)
    phases = [PhaseFactory() for _ in range(3)]
    challenges = [ChallengeFactory(phase=rng.choice(phases)) for _ in range(5)]
    Category.objects.bulk_create([Category(code=c) for c in ("cs.SE", "cs.LG", "cs.CL")])
    for n in range(30):
        paper = PaperFactory(year=rng.choice([None, 2022, 2023, 2024]))
        paper.categories.set(rng.sample(["cs.SE", "cs.LG", "cs.CL"], rng.randrange(3)))
        for challenge in rng.sample(challenges, rng.randrange(3)):
            state = rng.choice(["accepted", "accepted", "pending"])
            PlacementFactory(paper=paper, challenge=challenge, review_state=state)
        if n % 4 == 0:
            PlacementFactory(paper=paper, phase=rng.choice(phases))
    chosen = Paper.objects.filter(pk__in=[p.pk for p in Paper.objects.all() if p.pk % 3])

    once = facet_counts(chosen)

    for level in ("phase", "challenge"):
        alone = {row[level]: row["count"] for row in paper_counts(chosen, [level])}
        assert once[level] == alone
    assert once["year"] == {row["year"]: row["count"] for row in paper_counts(chosen, ["year"])}
    ranked = {row["category"]: row["count"] for row in category_counts(chosen, limit=10)}
    assert once["category"] == ranked
    assert once["phase"]
    assert None in once["year"]
