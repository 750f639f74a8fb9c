"""The papers' "Enrich from OpenAlex" admin action: one run for the selection, answered at
once with a link to the run; papers without a DOI or an arXiv id get a clear message."""

import pytest
from django.urls import reverse

from apps.ingestion.models import IngestRun
from apps.papers.models import Paper
from tests.factories import PaperFactory
from tests.ingestion.openalex.standin import OpenAlexStandin, work

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:papers_paper_changelist")


def test_the_action_enriches_the_selected_papers(  # type: ignore[no-untyped-def]
    openalex_settings,
    openalex: OpenAlexStandin,
    curator_client,
    curator,
    django_capture_on_commit_callbacks,
) -> None:
    chosen = PaperFactory(arxiv_id="2401.00001", doi=None)
    other = PaperFactory(arxiv_id="2401.00002", doi=None)
    openalex.works = [work(1, doi="10.48550/arXiv.2401.00001", cited_by=12)]

    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post(
            CHANGELIST,
            {"action": "enrich_from_openalex", "_selected_action": [chosen.pk]},
            follow=True,
        )

    run = IngestRun.objects.get()
    assert response.status_code == 200
    assert f'Started <a href="/admin/ingestion/ingestrun/{run.pk}/change/">run #{run.pk}</a>' in (
        response.content.decode()
    )
    assert (run.kind, run.status, run.requested_by, run.updated) == (
        "openalex",
        "succeeded",
        curator,
        1,
    )
    assert Paper.objects.get(pk=chosen.pk).cited_by_count == 12
    assert Paper.objects.get(pk=other.pk).enriched_at is None


def test_papers_that_cannot_be_looked_up_get_a_message_not_a_run(curator_client) -> None:  # type: ignore[no-untyped-def]
    bare = PaperFactory(arxiv_id=None, doi=None)

    response = curator_client.post(
        CHANGELIST, {"action": "enrich_from_openalex", "_selected_action": [bare.pk]}, follow=True
    )

    assert b"None of these papers has a DOI or an arXiv id" in response.content
    assert not IngestRun.objects.exists()
