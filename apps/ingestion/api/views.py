"""Ingestion for curators: ask for arXiv papers by id, and watch the runs."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.fields import FieldSelectionMixin
from apps.core.api.permissions import IsCurator
from apps.ingestion.api.filtersets import IngestRunFilterSet
from apps.ingestion.api.serializers import IngestRequestSerializer, IngestRunSerializer
from apps.ingestion.models import IngestRun
from apps.ingestion.services import ingest_run_start


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


class IngestView(generics.GenericAPIView):
    """Start ingesting arXiv papers by id; the run is created here and runs in a worker."""

    serializer_class = IngestRequestSerializer
    permission_classes = (IsCurator,)
    queryset = IngestRun.objects.none()

    @extend_schema(
        summary="Ingest arXiv papers by id (curators)",
        description="Creates an ingestion run for the ids and queues it; answers 202 at once "
        "with the run (its URL also in Location). Follow the run to see it finish. New papers "
        "land in the curators' inbox.",
        request=IngestRequestSerializer,
        responses={202: IngestRunSerializer},
    )
    def post(self, request: Request) -> Response:
        payload = IngestRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        run = ingest_run_start(
            kind=IngestRun.Kind.ARXIV_IDS,
            parameters={"ids": payload.validated_data["arxiv_ids"]},
            requested_by=request.user,
        )
        run.refresh_from_db()
        data = IngestRunSerializer(run, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
