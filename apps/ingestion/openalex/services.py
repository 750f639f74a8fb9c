"""Starting OpenAlex enrichment runs: for chosen papers (a curator, a script) or, on a
schedule, for the papers whose OpenAlex facts are oldest."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from apps.core.exceptions import ApplicationError
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.specs import OpenAlexSpec
from apps.ingestion.services import ingest_run_start
from apps.papers.models import Paper


def openalex_enrich_start(
    *,
    paper_ids: Iterable[int] | None = None,
    requested_by: AbstractBaseUser | AnonymousUser | None = None,
    reason: str = "selected",
) -> IngestRun:
    """Record an OpenAlex run over these papers (None: every paper with a DOI or an arXiv
    id) and enqueue it after commit. Raises ApplicationError if none of the papers chosen can
    be looked up. Each call starts a new run; a re-run changes nothing."""
    user = requested_by if isinstance(requested_by, AbstractBaseUser) else None
    if paper_ids is None:
        return ingest_run_start(spec=OpenAlexSpec(reason=reason), requested_by=user)
    ids = sorted(set(paper_ids))
    if not ids:
        raise ApplicationError("Select at least one paper to enrich.")
    if not Paper.objects.filter(pk__in=ids, doi__isnull=False).exists() and not (
        Paper.objects.filter(pk__in=ids, arxiv_id__isnull=False).exists()
    ):
        raise ApplicationError("None of these papers has a DOI or an arXiv id to look up.")
    return ingest_run_start(
        spec=OpenAlexSpec(paper_ids=tuple(ids), reason=reason), requested_by=user
    )


@transaction.atomic
def openalex_refresh_due() -> IngestRun | None:
    """Start the periodic refresh — the papers not enriched in OPENALEX_REFRESH_DAYS days —
    unless an OpenAlex run is still going (a stalled one does not count). Returns the run,
    or None. Beat calls this; overlapping calls start nothing twice."""
    days = settings.OPENALEX_REFRESH_DAYS
    if days <= 0:
        return None
    if IngestRun.objects.moving().filter(kind=IngestRun.Kind.OPENALEX).exists():
        return None
    return ingest_run_start(spec=OpenAlexSpec(stale_days=days, reason="schedule"))
