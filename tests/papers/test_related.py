"""Related papers: shared challenges combined with precomputed content neighbours, each with
its reason; the refresh is idempotent, and the paper page's query count does not grow."""

import re

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Paper, RelatedPaper
from apps.papers.services.related import related_papers_refresh
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def corpus() -> dict[str, Paper]:
    """Two metamorphic-testing papers, a quantisation paper, and filler that makes the
    common words common."""
    papers = {
        "meta": PaperFactory(
            title="Metamorphic testing of chatbots",
            abstract="Metamorphic relations act as a test oracle for paraphrased prompts.",
        ),
        "meta2": PaperFactory(
            title="Oracles for generative systems via metamorphic relations",
            abstract="We derive metamorphic relations when no oracle exists.",
        ),
        "quant": PaperFactory(
            title="Quantisation for serving",
            abstract="Low-bit quantisation cuts serving latency on edge devices.",
        ),
        "hidden": PaperFactory(
            title="Metamorphic oracle relations, a draft",
            abstract="Metamorphic oracle relations for prompts.",
            status=Paper.Status.INBOX,
        ),
    }
    for i in range(12):
        PaperFactory(title=f"A study of systems {i}", abstract=f"Systems evaluation number {i}.")
    return papers


def reasons_on(client: Client, paper: Paper) -> dict[str, str]:
    """Title → reasons of the related papers listed on a paper's page."""
    html = client.get(f"/papers/{paper.pk}/").content.decode()
    section = html.split('id="related-title"', 1)[1]
    items = re.findall(
        r'class="paper-title"><a [^>]*>(.*?)</a>.*?class="related-reasons">(.*?)</p>', section, re.S
    )
    return {title: re.sub(r"<[^>]+>", "", reasons) for title, reasons in items}


def test_content_neighbours_share_distinctive_words_and_the_refresh_is_idempotent() -> None:
    papers = corpus()

    first = related_papers_refresh()
    rows = list(RelatedPaper.objects.values_list("paper_id", "related_id", "rank", "words"))
    second = related_papers_refresh()

    assert first.neighbours == second.neighbours > 0
    assert rows == list(RelatedPaper.objects.values_list("paper_id", "related_id", "rank", "words"))
    best = RelatedPaper.objects.filter(paper=papers["meta"]).order_by("rank").first()
    assert best is not None
    assert best.related == papers["meta2"]
    assert "metamorphic" in best.words
    # Papers the public cannot see neither have nor are neighbours.
    assert not RelatedPaper.objects.filter(paper=papers["hidden"]).exists()
    assert not RelatedPaper.objects.filter(related=papers["hidden"]).exists()
    assert not RelatedPaper.objects.filter(paper=papers["meta"], related=papers["quant"]).exists()


def test_the_page_gives_each_related_paper_its_reason(client: Client) -> None:
    papers = corpus()
    phase = PhaseFactory(slug="testing", order=1)
    oracle = ChallengeFactory(
        phase=phase, slug="oracles", name="Test oracles under non-determinism"
    )
    # A fixed abstract: the factory's random one sometimes holds "relate" or "relationship",
    # which stem like the metamorphic papers' "relations" and add a "similar:" reason.
    sharer = PaperFactory(
        title="Flaky outputs and what to expect of them", abstract="Outputs vary between runs."
    )
    for paper in (papers["meta"], sharer):
        PlacementFactory(paper=paper, challenge=oracle)
    call_command("refresh_related", stdout=open("/dev/null", "w"))  # noqa: SIM115

    reasons = reasons_on(client, papers["meta"])

    assert reasons["Flaky outputs and what to expect of them"] == (
        "shares Test oracles under non-determinism"
    )
    assert reasons["Oracles for generative systems via metamorphic relations"].startswith(
        "similar: "
    )
    assert "metamorphic" in reasons["Oracles for generative systems via metamorphic relations"]
    assert "Metamorphic oracle relations, a draft" not in reasons  # not public


def test_the_paper_page_costs_the_same_with_2_or_10_related_papers(client: Client) -> None:
    phase = PhaseFactory(slug="testing", order=1)
    challenge = ChallengeFactory(phase=phase, slug="oracles")

    def queries(n: int) -> int:
        paper = PaperFactory(title=f"Metamorphic oracle {n}", abstract="Metamorphic oracles.")
        PlacementFactory(paper=paper, challenge=challenge)
        for i in range(n):
            other = PaperFactory(title=f"Metamorphic relation {n}-{i}", authors=3)
            PlacementFactory(paper=other, challenge=challenge)
        related_papers_refresh()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/papers/{paper.pk}/")
        assert response.status_code == 200
        assert response.content.decode().count('class="related-reasons"') == min(n, 8)
        return len(captured)

    assert queries(2) == queries(10)
