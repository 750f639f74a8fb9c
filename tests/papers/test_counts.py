"""The summary of public counts (apps/papers/counts.py) stays exact on every write path:
after each kind of write it equals a count from scratch of the papers themselves."""

import random
from collections import Counter
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from apps.papers.counts import counts_recompute, ensure_counts, summary_totals
from apps.papers.models import Category, Paper, PaperCount, Placement
from apps.papers.records import PaperRecord
from apps.papers.services import (
    paper_categories_replace,
    paper_delete,
    paper_edit,
    paper_exclude,
    paper_include,
    paper_upsert_many,
    placement_add,
    placement_add_many,
    placement_delete,
    placement_edit,
    placement_place,
    placement_review,
    taxonomy_item_edit,
)
from apps.papers.services.curation import PlacementProposal
from tests.factories import (
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db


def from_scratch() -> Counter:
    """Every non-empty cell, counted from the papers, placements and category links."""
    cells: Counter = Counter()
    for paper in Paper.objects.included().prefetch_related("placements", "categories"):
        year = paper.year or 0
        cells["all", "", year] += 1
        accepted = [p for p in paper.placements.all() if p.review_state == "accepted"]
        for phase_id in {p.phase_id for p in accepted}:
            cells["phase", str(phase_id), year] += 1
        for p in accepted:
            if p.challenge_id:
                cells["challenge", str(p.challenge_id), year] += 1
            if p.direction_id:
                cells["direction", str(p.direction_id), year] += 1
        for category in paper.categories.all():
            cells["category", category.code, year] += 1
    return cells


def maintained() -> Counter:
    rows = PaperCount.objects.exclude(papers=0).values_list("dimension", "item", "year", "papers")
    return Counter({(d, i, y): n for d, i, y, n in rows})


def assert_exact() -> None:
    assert maintained() == from_scratch()
    assert not PaperCount.objects.filter(papers__lt=0).exists()


@pytest.fixture
def taxonomy():
    phase = PhaseFactory()
    other = PhaseFactory()
    return {
        "phase": phase,
        "other": other,
        "challenges": [ChallengeFactory(phase=phase), ChallengeFactory(phase=phase)],
        "direction": ResearchDirectionFactory(phase=phase),
    }


def test_a_paper_counts_once_per_phase_with_two_placements_in_it(taxonomy, curator) -> None:
    paper = PaperFactory(year=2023)
    placement_place(paper=paper, target=taxonomy["phase"], actor=curator)
    placement_place(paper=paper, target=taxonomy["challenges"][0], actor=curator)
    placement_place(paper=paper, target=taxonomy["challenges"][1], actor=curator)

    assert summary_totals("phase") == {str(taxonomy["phase"].pk): 1}
    assert summary_totals("challenge") == {str(c.pk): 1 for c in taxonomy["challenges"]}
    assert_exact()


def test_inclusion_exclusion_and_year_move_every_cell(taxonomy, curator) -> None:
    paper = PaperFactory(year=2023, status=Paper.Status.INBOX)
    placement_place(paper=paper, target=taxonomy["challenges"][0], actor=curator)
    paper_categories_replace(paper=paper, codes=["cs.SE", "cs.LG"], actor=curator)
    assert summary_totals("all") == {}

    paper_include(papers=[paper], actor=curator)
    assert summary_totals("category") == {"cs.SE": 1, "cs.LG": 1}
    assert_exact()

    paper_edit(paper=paper, data={"year": 2021}, actor=curator)
    assert summary_totals("phase", year=2021) == {str(taxonomy["phase"].pk): 1}
    assert summary_totals("phase", year=2023) == {}
    assert_exact()

    paper_exclude(papers=[paper], reason="off topic", actor=curator)
    assert summary_totals("all") == {}
    assert_exact()


def test_placements_accepted_rejected_edited_and_deleted(taxonomy, curator) -> None:
    paper = PaperFactory(year=2024)
    suggestion, _ = placement_add(
        paper=paper, target=taxonomy["challenges"][0], origin=Placement.Origin.SUGGESTED
    )
    assert summary_totals("challenge") == {}

    placement_review(placements=[suggestion], accept=True, actor=curator)
    assert summary_totals("challenge") == {str(taxonomy["challenges"][0].pk): 1}
    assert_exact()

    placement_edit(placement=suggestion, data={"target": taxonomy["other"]}, actor=curator)
    assert summary_totals("phase") == {str(taxonomy["other"].pk): 1}
    assert_exact()

    placement_review(placements=[suggestion], accept=False, actor=curator)
    assert summary_totals("phase") == {}
    assert_exact()

    placement_delete(placement=suggestion, actor=curator)
    assert_exact()


def test_one_statement_accepting_two_placements_in_one_phase_counts_the_paper_once(
    taxonomy, curator
) -> None:
    paper = PaperFactory()
    pending = [
        PlacementFactory(paper=paper, challenge=c, review_state="pending")
        for c in taxonomy["challenges"]
    ]

    placement_review(placements=pending, accept=True, actor=curator)  # one bulk UPDATE

    assert summary_totals("phase") == {str(taxonomy["phase"].pk): 1}
    assert_exact()


def test_deleting_a_paper_and_moving_a_challenge_to_another_phase(taxonomy, curator) -> None:
    kept, gone = PaperFactory(), PaperFactory()
    for paper in (kept, gone):
        placement_place(paper=paper, target=taxonomy["challenges"][0], actor=curator)
        paper_categories_replace(paper=paper, codes=["cs.SE"], actor=curator)

    paper_delete(paper=gone, actor=curator)
    assert summary_totals("all") == {"": 1}
    assert_exact()

    taxonomy_item_edit(
        item=taxonomy["challenges"][0], data={"phase": taxonomy["other"]}, actor=curator
    )
    assert summary_totals("phase") == {str(taxonomy["other"].pk): 1}
    assert_exact()


def test_bulk_upserts_and_proposals(taxonomy) -> None:
    records = [
        PaperRecord(
            title=f"Paper {n}",
            arxiv_id=f"2912.9{n:04d}",
            year=2020 + n % 3,
            published_at=datetime(2020 + n % 3, 5, 1, tzinfo=UTC),
            categories=["cs.SE", "cs.AI"][: 1 + n % 2],
        )
        for n in range(6)
    ]
    paper_upsert_many(records=records, source=Paper.Source.ARXIV, status="included")
    papers = list(Paper.objects.filter(arxiv_id__startswith="2912.9"))
    placement_add_many(
        proposals=[
            PlacementProposal(paper_id=p.pk, target=t, origin="survey")
            for p in papers
            for t in (taxonomy["challenges"][0], taxonomy["direction"], taxonomy["phase"])
        ]
    )
    assert summary_totals("phase") == {str(taxonomy["phase"].pk): 6}
    assert_exact()

    moved = [PaperRecord(title=r.title, arxiv_id=r.arxiv_id, arxiv_version=2, year=2019,
                         categories=["cs.CL"]) for r in records]  # fmt: skip
    paper_upsert_many(records=moved, source=Paper.Source.ARXIV)
    assert_exact()


def test_recompute_equals_the_maintained_table_after_a_random_mix_of_writes(
    taxonomy, curator
) -> None:
    rng = random.Random(14)
    targets = [taxonomy["phase"], taxonomy["other"], taxonomy["direction"], *taxonomy["challenges"]]
    papers = [
        PaperFactory(year=rng.choice([None, 2022, 2023]), status=rng.choice(["inbox", "included"]))
        for _ in range(8)
    ]
    Category.objects.bulk_create([Category(code="cs.SE"), Category(code="cs.LG")])
    for _ in range(120):
        paper = rng.choice(papers)
        action = rng.randrange(8)
        if action == 0:
            paper_include(papers=[paper], actor=curator)
        elif action == 1:
            paper_exclude(papers=[paper], reason="no", actor=curator)
        elif action == 2:
            paper_edit(paper=paper, data={"year": rng.choice([2021, 2024])}, actor=curator)
        elif action == 3:
            placement_place(paper=paper, target=rng.choice(targets), actor=curator)
        elif action == 4:
            placement_add(paper=paper, target=rng.choice(targets), origin="suggested")
        elif action == 5 and (placements := list(Placement.objects.filter(paper=paper))):
            placement_review(placements=placements, accept=rng.random() < 0.5, actor=curator)
        elif action == 6 and (placements := list(Placement.objects.filter(paper=paper))):
            placement_delete(placement=rng.choice(placements), actor=curator)
        elif action == 7:
            codes = rng.sample(["cs.SE", "cs.LG", "cs.AI"], rng.randrange(3))
            paper_categories_replace(paper=paper, codes=codes, actor=curator)
        paper.refresh_from_db()
    before = maintained()

    counts_recompute()

    assert before == maintained() == from_scratch()
    assert sum(n for (d, _i, _y), n in before.items() if d == "all") == (
        Paper.objects.included().count()
    )


def test_post_migrate_puts_missing_triggers_back_and_recounts(taxonomy) -> None:
    PlacementFactory(paper=PaperFactory(), phase=taxonomy["phase"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP TRIGGER papers_counts_paper_insert ON papers_paper")
        else:
            cursor.execute("DROP TRIGGER papers_counts_paper_insert")
    PaperFactory()  # not counted: its trigger is gone
    assert maintained() != from_scratch()

    ensure_counts()

    assert_exact()
    PaperFactory()
    assert_exact()


def test_recount_command_repairs_a_damaged_summary(taxonomy) -> None:
    PlacementFactory(paper=PaperFactory(year=2022), challenge=taxonomy["challenges"][0])
    PaperCount.objects.update(papers=7)
    out = StringIO()

    call_command("recount_papers", stdout=out)

    assert_exact()
    assert out.getvalue().strip() == f"recounted cells={PaperCount.objects.count()}"
