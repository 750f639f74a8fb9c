"""Starting OpenAlex enrichment runs: for chosen papers (a curator, a script) or, on a
schedule, for the papers whose OpenAlex facts are oldest."""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.ingestion.models import IngestRun
from apps.ingestion.services import STALLED_AFTER, ingest_run_start


def openalex_enrich_start(
    *, paper_ids: Sequence[int] | None = None, requested_by: AbstractBaseUser | None = None
) -> IngestRun:
    """Record an OpenAlex run over these papers (None: every paper with a DOI or an arXiv
    id) and enqueue it after commit. Each call starts a new run; a re-run changes nothing."""
    if paper_ids is not None and not paper_ids:
        raise ApplicationError("Select at least one paper to enrich.")
    parameters = {"paper_ids": sorted(set(paper_ids))} if paper_ids is not None else {}
    return ingest_run_start(
        kind=IngestRun.Kind.OPENALEX, parameters=parameters, requested_by=requested_by
    )


@transaction.atomic
def openalex_refresh_due(*, now: datetime | None = None) -> IngestRun | None:
    """Start the periodic refresh — the papers not enriched in OPENALEX_REFRESH_DAYS days —
    unless an OpenAlex run is already pending or running (one stalled for STALLED_AFTER no
    longer counts). Returns the run, or None. Beat calls this; calling it twice starts one."""
    now = now or timezone.now()
    days = settings.OPENALEX_REFRESH_DAYS
    if days <= 0:
        return None
    active = IngestRun.objects.select_for_update().filter(
        kind=IngestRun.Kind.OPENALEX,
        status__in=[IngestRun.Status.PENDING, IngestRun.Status.RUNNING],
        updated_at__gte=now - STALLED_AFTER,
    )
    if active.exists():
        return None
    return ingest_run_start(kind=IngestRun.Kind.OPENALEX, parameters={"stale_days": days})
