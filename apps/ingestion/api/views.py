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
from apps.core.api.permissions import IsCurator, acting_user
from apps.ingestion.api.filtersets import IngestRunFilterSet
from apps.ingestion.api.serializers import (
    HarvestSourceSerializer,
    IngestRequestSerializer,
    IngestRunSerializer,
)
from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.services import harvest_source_run, ingest_run_resume, ingest_run_start


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
        summary="Resume a failed run from its cursor (curators)",
        description="Queues the run again; it continues where it stopped, so nothing is "
        "ingested twice. 409 if the run has not failed.",
        request=None,
        responses={202: IngestRunSerializer},
    )
    @action(detail=True, methods=["post"])
    def resume(self, request: Request, pk: str | None = None) -> Response:
        run = self.get_object()
        if run.status != IngestRun.Status.FAILED:
            raise Conflict(f"Only a failed run can be resumed; this one is {run.status}.")
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
        run = harvest_source_run(source=self.get_object(), requested_by=acting_user(request))
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
        asked = payload.validated_data
        if "query" in asked:
            kind = IngestRun.Kind.ARXIV_QUERY
            parameters = {"query": asked["query"], "max": asked["max_results"]}
        else:
            kind, parameters = IngestRun.Kind.ARXIV_IDS, {"ids": asked["arxiv_ids"]}
        run = ingest_run_start(kind=kind, parameters=parameters, requested_by=acting_user(request))
        return _accepted(self, run)
