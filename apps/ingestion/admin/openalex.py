"""The "Enrich from OpenAlex" action on the papers' change list.

It lives with ingestion (which may use papers) and is attached to the registered PaperAdmin
when the admin loads, so the papers app knows nothing of ingestion. The write goes through
`openalex_enrich_start`; the run goes on in a worker (or a background thread without a
broker), so the action answers at once and links to the run.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from apps.core.exceptions import ApplicationError
from apps.ingestion.openalex.services import openalex_enrich_start
from apps.papers.models import Paper


@admin.action(description="Enrich selected papers from OpenAlex", permissions=["change"])
def enrich_from_openalex(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Paper]
) -> None:
    """Start one OpenAlex run for the selected papers (those with a DOI or an arXiv id)."""
    try:
        run = openalex_enrich_start(
            paper_ids=queryset.values_list("pk", flat=True), requested_by=request.user
        )
    except ApplicationError as error:
        modeladmin.message_user(request, error.message, messages.ERROR)
        return
    link = reverse("admin:ingestion_ingestrun_change", args=[run.pk])
    modeladmin.message_user(
        request,
        format_html('Started <a href="{}">run #{}</a> enriching from OpenAlex.', link, run.pk),
        messages.SUCCESS,
    )


def attach(site: admin.AdminSite = admin.site) -> None:
    """Add the action to the registered PaperAdmin (once)."""
    paper_admin = site.get_model_admin(Paper)
    actions = tuple(paper_admin.actions or ())
    if enrich_from_openalex not in actions:
        paper_admin.actions = (*actions, enrich_from_openalex)


attach()
