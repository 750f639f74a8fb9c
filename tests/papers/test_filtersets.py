"""PaperFilterSet, shared by the HTML lists and the API."""

import pytest

from apps.papers.filtersets import PaperFilterSet
from apps.papers.models import Paper, Placement
from tests.factories import (
    CategoryFactory,
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db


def titles(**params: object) -> list[str]:
    filterset = PaperFilterSet(params, queryset=Paper.objects.all())
    assert filterset.is_valid(), filterset.errors
    return sorted(filterset.qs.values_list("title", flat=True))


def test_taxonomy_filters_or_within_and_across_parameters() -> None:
    design, test = PhaseFactory(slug="design"), PhaseFactory(slug="test")
    oracle = ChallengeFactory(slug="oracle", phase=test)
    a, b, c = PaperFactory(title="A"), PaperFactory(title="B"), PaperFactory(title="C")
    PlacementFactory(paper=a, phase=design)
    PlacementFactory(paper=b, challenge=oracle)
    PlacementFactory(paper=c, phase=test, review_state=Placement.ReviewState.PENDING)

    assert titles(phase=["design"]) == ["A"]
    assert titles(phase=["design", "test"]) == [
        "A",
        "B",
    ]  # a challenge placement counts for its phase
    assert titles(phase="design,test") == ["A", "B"]
    assert titles(phase=["test"], challenge=["oracle"]) == ["B"]
    assert titles(phase=["design"], challenge=["oracle"]) == []


def test_direction_filter() -> None:
    direction = ResearchDirectionFactory(slug="red-team")
    paper = PaperFactory(title="Attacks")
    PaperFactory(title="Other")
    PlacementFactory(paper=paper, direction=direction)

    assert titles(direction=["red-team"]) == ["Attacks"]


def test_an_unknown_slug_is_a_validation_error() -> None:
    filterset = PaperFilterSet({"phase": ["nope"]}, queryset=Paper.objects.all())

    assert not filterset.is_valid()
    assert "phase" in filterset.errors


def test_year_author_category_source_and_doi_filters() -> None:
    old = PaperFactory(title="Old", year=2019, doi="10.1000/old", authors=["Ada Lovelace"])
    new = PaperFactory(title="New", year=2025, source=Paper.Source.BIBTEX, authors=["Alan Turing"])
    new.categories.add(CategoryFactory(code="cs.CL"))
    old.categories.add(CategoryFactory(code="cs.SE"))

    assert titles(year=2019) == ["Old"]
    assert titles(year_min=2020) == ["New"]
    assert titles(year_max=2020) == ["Old"]
    assert titles(author="lovelace") == ["Old"]
    assert titles(category=["cs.CL"]) == ["New"]
    assert titles(category="cs.CL,cs.SE") == ["New", "Old"]
    assert titles(source="bibtex") == ["New"]
    assert titles(has_doi="true") == ["Old"]
    assert titles(has_doi="false") == ["New"]
    assert titles(doi="https://doi.org/10.1000/OLD") == ["Old"]


def test_arxiv_id_in_any_spelling_and_bad_ids_rejected() -> None:
    PaperFactory(title="X", arxiv_id="2401.01234")

    assert titles(arxiv_id="arXiv:2401.01234v3") == ["X"]
    assert titles(arxiv_id="https://arxiv.org/abs/2401.01234") == ["X"]
    assert not PaperFactory._meta.model.objects.none().exists()
    bad = PaperFilterSet({"arxiv_id": "banana"}, queryset=Paper.objects.all())
    assert not bad.is_valid()


def test_search_finds_words_in_title_authors_and_abstract() -> None:
    PaperFactory(title="Metamorphic testing of chatbots", abstract="We test.", authors=["Ann Ng"])
    PaperFactory(title="Quantization", abstract="Metamorphic relations for compression.")
    PaperFactory(title="Unrelated", abstract="Nothing here.", authors=["Zed Metamorph"])
    PaperFactory(title="Serving", abstract="Latency.")

    found = titles(q="metamorphic")

    assert "Metamorphic testing of chatbots" in found
    assert "Quantization" in found
    assert "Serving" not in found


def test_search_orders_by_relevance_with_title_matches_first() -> None:
    PaperFactory(title="Serving models", abstract="About hallucination detection at scale.")
    PaperFactory(title="Hallucination detection", abstract="A study.")

    filterset = PaperFilterSet({"q": "hallucination detection"}, queryset=Paper.objects.all())
    assert filterset.is_valid()

    assert [p.title for p in filterset.qs] == ["Hallucination detection", "Serving models"]


def test_ordering_choices() -> None:
    PaperFactory(title="B", year=2020, published_at="2020-01-01T00:00:00Z")
    PaperFactory(title="A", year=2021, published_at="2021-01-01T00:00:00Z")

    def ordered(value: str) -> list[str]:
        filterset = PaperFilterSet({"ordering": value}, queryset=Paper.objects.all())
        assert filterset.is_valid()
        return [p.title for p in filterset.qs]

    assert ordered("title") == ["A", "B"]
    assert ordered("-title") == ["B", "A"]
    assert ordered("published") == ["B", "A"]
    assert ordered("-published") == ["A", "B"]
    assert not PaperFilterSet({"ordering": "drop table"}, queryset=Paper.objects.all()).is_valid()


@pytest.mark.postgres
def test_postgresql_search_uses_the_gin_index_and_websearch_syntax() -> None:
    from django.db import connection

    PaperFactory(title="Jailbreak attacks on chat models", abstract="Red teaming.")
    PaperFactory(title="Jailbreak defences", abstract="Guardrails.")

    assert titles(q="jailbreak -defences") == ["Jailbreak attacks on chat models"]
    assert titles(q='"chat models"') == ["Jailbreak attacks on chat models"]
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = PaperFilterSet({"q": "jailbreak"}, queryset=Paper.objects.all()).qs.explain()
    assert "papers_paper_search_gin" in plan
