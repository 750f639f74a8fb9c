"""Ingestion for curators: ask for arXiv papers by id or query, start and resume harvests,
and watch the runs."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.fields import FieldSelectionMixin
from apps.core.api.permissions import IsCurator
from apps.ingestion.api.filtersets import IngestRunFilterSet
from apps.ingestion.api.serializers import (
    HarvestSourceSerializer,
    IngestRequestSerializer,
    IngestRunSerializer,
    RefreshRequestSerializer,
)
from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.openalex.services import openalex_enrich_start
from apps.ingestion.services import (
    arxiv_refresh_start,
    harvest_source_run,
    ingest_run_resume,
    ingest_run_start,
)


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


def _accepted(view: generics.GenericAPIView, run: IngestRun) -> Response:
    """202 with the queued run, its URL also in Location."""
    run.refresh_from_db()
    data = IngestRunSerializer(run, context=view.get_serializer_context()).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})


@extend_schema_view(
    list=extend_schema(summary="List ingestion runs, newest first (curators)"),
    retrieve=extend_schema(summary="One ingestion run: status, progress, counts, errors"),
)
class IngestRunViewSet(FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Every ingestion (arXiv ids, queries, OAI sets, BibTeX imports), for curators."""

    serializer_class = IngestRunSerializer
    permission_classes = (IsCurator,)
    filterset_class = IngestRunFilterSet

    def get_queryset(self) -> QuerySet[IngestRun]:
        return IngestRun.objects.select_related("requested_by", "source")

    @extend_schema(
        summary="Resume a failed or stalled run from its cursor (curators)",
        description="Queues the run again; it continues where it stopped, so nothing is "
        "ingested twice. A stalled run is one pending or running that has not moved for "
        "INGEST_STALLED_AFTER seconds (its task was lost). 409 for any other run.",
        request=None,
        responses={202: IngestRunSerializer},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        if not run.is_resumable:
            raise Conflict(
                f"Only a failed or stalled run can be resumed; this one is {run.status}."
            )
        return _accepted(self, ingest_run_resume(run=run))


@extend_schema_view(
    list=extend_schema(summary="List harvest sources (curators)"),
    retrieve=extend_schema(summary="One harvest source: its query or set, schedule and progress"),
)
class HarvestSourceViewSet(viewsets.ReadOnlyModelViewSet):
    """The scheduled harvests beat runs; curators edit them in the admin and start them here."""

    serializer_class = HarvestSourceSerializer
    permission_classes = (IsCurator,)
    queryset = HarvestSource.objects.all()

    @extend_schema(
        summary="Harvest this source now (curators)",
        description="Starts a run as the schedule would (an OAI set goes on from where its "
        "last harvest ended). 409 if a harvest of the source is already pending or running.",
        request=None,
        responses={202: IngestRunSerializer},
    )
    @action(detail=True, methods=["post"])
    def run(self, request: Request, pk: str | None = None) -> Response:
        run = harvest_source_run(source=self.get_object(), requested_by=request.user)
        if run is None:
            raise Conflict("A harvest of this source is already pending or running.")
        return _accepted(self, run)


class IngestView(generics.GenericAPIView):
    """Start ingesting arXiv papers by id or query; the run is created here and runs in a
    worker."""

    serializer_class = IngestRequestSerializer
    permission_classes = (IsCurator,)
    queryset = IngestRun.objects.none()

    @extend_schema(
        summary="Ingest arXiv papers by id or by query (curators)",
        description="Creates an ingestion run for the ids, or for an arXiv search query, and "
        "queues it; answers 202 at once with the run (its URL also in Location). Follow the "
        "run to see it finish. New papers land in the curators' inbox.",
        request=IngestRequestSerializer,
        responses={202: IngestRunSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = IngestRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = ingest_run_start(spec=payload.validated_data["spec"], requested_by=request.user)
        return _accepted(self, run)


class RefreshView(generics.GenericAPIView):
    """Refresh papers from arXiv or OpenAlex; the run is created here and runs elsewhere (a
    worker, or a background thread without a broker), so the request never waits on a source."""

    serializer_class = RefreshRequestSerializer
    permission_classes = (IsCurator,)
    queryset = IngestRun.objects.none()

    @extend_schema(
        summary="Refresh papers from arXiv or OpenAlex (curators)",
        description="Starts a run that re-fetches the given papers from arXiv by their arXiv "
        "ids, in id_list batches (`source` arxiv, the default), or looks them up in OpenAlex "
        "by DOI, 50 at a time (`source` openalex: cited-by counts, citation links between "
        "papers of sellm, open-access links, venues), and answers 202 at once with the run "
        "(its URL also in Location). Papers the source cannot be asked about are left out "
        "(400 if none can be). A curator's edits are never overwritten; a paper the refresh "
        'completes loses its "record incomplete" mark.',
        request=RefreshRequestSerializer,
        responses={202: IngestRunSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = RefreshRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        papers = payload.validated_data["papers"]
        if payload.validated_data["source"] == "openalex":
            run = openalex_enrich_start(paper_ids=papers, requested_by=request.user)
        else:
            run, _ = arxiv_refresh_start(paper_ids=papers, requested_by=request.user)
        return _accepted(self, run)
