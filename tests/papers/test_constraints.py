"""Invariants the database itself enforces, whatever code writes."""

import pytest
from django.db import IntegrityError, transaction

from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.models import Authorship, Paper, Placement
from tests.factories import (
    AuthorFactory,
    ChallengeFactory,
    HarvestSourceFactory,
    IngestRunFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db


def rejected(make) -> bool:  # type: ignore[no-untyped-def]
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_arxiv_id_is_unique_where_present() -> None:
    PaperFactory(arxiv_id="2401.00001")
    PaperFactory(arxiv_id=None)

    assert rejected(lambda: PaperFactory(arxiv_id="2401.00001"))
    assert not rejected(lambda: PaperFactory(arxiv_id=None))


def test_doi_is_unique_where_present() -> None:
    PaperFactory(doi="10.1/a")
    PaperFactory(doi=None)

    assert rejected(lambda: PaperFactory(doi="10.1/a"))
    assert not rejected(lambda: PaperFactory(doi=None))


def test_identifiers_are_null_not_empty() -> None:
    assert rejected(lambda: PaperFactory(arxiv_id=""))
    assert rejected(lambda: PaperFactory(doi=""))


def test_citation_keys_are_unique_but_may_be_absent() -> None:
    PaperFactory(bibtex_key="smith2020")
    PaperFactory(bibtex_key="")

    assert rejected(lambda: PaperFactory(bibtex_key="smith2020"))
    assert not rejected(lambda: PaperFactory(bibtex_key=""))


def test_a_version_needs_an_arxiv_id_and_must_be_positive() -> None:
    assert rejected(lambda: PaperFactory(arxiv_id=None, arxiv_version=2))
    assert rejected(lambda: PaperFactory(arxiv_version=0))


def test_status_and_inclusion_date_agree() -> None:
    assert rejected(lambda: PaperFactory(status=Paper.Status.INCLUDED, included_at=None))
    assert rejected(lambda: PaperFactory(status="published"))
    assert rejected(lambda: PaperFactory(year=1066))


def test_one_placement_per_paper_and_target() -> None:
    paper = PaperFactory()
    challenge = ChallengeFactory()
    direction = ResearchDirectionFactory(phase=challenge.phase)
    PlacementFactory(paper=paper, phase=challenge.phase)
    PlacementFactory(paper=paper, challenge=challenge)
    PlacementFactory(paper=paper, direction=direction)

    assert rejected(lambda: PlacementFactory(paper=paper, phase=challenge.phase))
    assert rejected(lambda: PlacementFactory(paper=paper, challenge=challenge))
    assert rejected(lambda: PlacementFactory(paper=paper, direction=direction))
    assert Placement.objects.count() == 3


def test_a_placement_names_a_challenge_or_a_direction_not_both() -> None:
    challenge = ChallengeFactory()
    direction = ResearchDirectionFactory(phase=challenge.phase)

    assert rejected(lambda: PlacementFactory(challenge=challenge, direction=direction))


def test_confidence_is_a_probability() -> None:
    assert rejected(lambda: PlacementFactory(confidence=1.5))
    assert rejected(lambda: PlacementFactory(confidence=-0.1))
    assert not rejected(lambda: PlacementFactory(confidence=0.7))


def test_author_positions_are_unique_per_paper() -> None:
    paper = PaperFactory()
    Authorship.objects.create(paper=paper, author=AuthorFactory(), position=0)

    assert rejected(
        lambda: Authorship.objects.create(paper=paper, author=AuthorFactory(), position=0)
    )


def test_taxonomy_slugs_and_phase_order_are_unique() -> None:
    phase = PhaseFactory(slug="same", order=50)
    ChallengeFactory(slug="c")

    assert rejected(lambda: PhaseFactory(slug="same"))
    assert rejected(lambda: PhaseFactory(order=50))
    assert rejected(lambda: ChallengeFactory(slug="c", phase=phase))


def test_taxonomy_rows_with_papers_cannot_be_deleted() -> None:
    placement = PlacementFactory()
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        placement.phase.delete()


def test_harvest_source_needs_its_query_or_set() -> None:
    assert rejected(lambda: HarvestSourceFactory(kind=HarvestSource.Kind.ARXIV_QUERY, query=""))
    assert rejected(lambda: HarvestSourceFactory(kind=HarvestSource.Kind.OAI_SET, oai_set=""))
    assert not rejected(lambda: HarvestSourceFactory(kind=HarvestSource.Kind.OAI_SET, oai_set="cs"))


def test_run_counts_never_exceed_records_seen() -> None:
    assert rejected(lambda: IngestRunFactory(seen=1, created=2))
    assert rejected(lambda: IngestRunFactory(status="exploded"))
    assert not rejected(lambda: IngestRunFactory(seen=3, created=1, failed=2))
    assert IngestRun.objects.count() == 1
