"""Curators start OpenAlex enrichment from the admin ("Enrich from OpenAlex" on the paper
list) and the API (`POST /api/v1/refresh/` with `source` openalex): one run for the selection,
answered at once; papers without a DOI or an arXiv id get a clear message."""

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


def test_the_api_enriches_from_openalex_for_curators(  # type: ignore[no-untyped-def]
    openalex_settings,
    openalex: OpenAlexStandin,
    curator_client,
    client,
    django_capture_on_commit_callbacks,
) -> None:
    paper = PaperFactory(arxiv_id="2401.00001", doi=None)
    openalex.works = [work(1, doi="10.48550/arXiv.2401.00001", cited_by=3)]
    payload = {"papers": [paper.pk], "source": "openalex"}

    anonymous = client.post("/api/v1/refresh/", payload, content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        response = curator_client.post("/api/v1/refresh/", payload, content_type="application/json")

    assert anonymous.status_code in (401, 403)
    assert response.status_code == 202, response.json()
    assert response.json()["kind"] == "openalex"
    assert IngestRun.objects.get().status == "succeeded"
    assert Paper.objects.get(pk=paper.pk).cited_by_count == 3


def test_the_api_refuses_an_unknown_source_and_unaskable_papers(curator_client) -> None:  # type: ignore[no-untyped-def]
    bare = PaperFactory(arxiv_id=None, doi=None)
    url = "/api/v1/refresh/"

    unknown = curator_client.post(
        url, {"papers": [bare.pk], "source": "crossref"}, content_type="application/json"
    )
    unaskable = curator_client.post(
        url, {"papers": [bare.pk], "source": "openalex"}, content_type="application/json"
    )

    assert unknown.status_code == 400
    assert unknown.json()["errors"]["source"] == ['"crossref" is not a valid choice.']
    assert unaskable.status_code == 400
    assert "None of these papers has a DOI or an arXiv id" in unaskable.json()["detail"]
    assert not IngestRun.objects.exists()


def test_the_paper_page_in_the_admin_shows_what_openalex_said(curator_client) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(openalex_id="W2741809807", cited_by_count=1234, references_outside=17)

    response = curator_client.get(reverse("admin:papers_paper_change", args=[paper.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="W2741809807"' in page  # editable: a curator's correction is kept
    assert "1234" in page
    assert "17" in page
    assert 'name="cited_by_count"' not in page  # read only: OpenAlex's facts
