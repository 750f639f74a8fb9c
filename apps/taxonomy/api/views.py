"""Phases, challenges and research directions: read by anyone (by slug), written by
curators through the taxonomy services."""

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.cache import AnonymousAnswerCacheMixin
from apps.core.api.fields import FieldSelectionMixin, ReadWriteSerializersMixin
from apps.core.api.permissions import acting_user
from apps.papers.services import taxonomy_item_edit
from apps.taxonomy.api.filtersets import ChallengeFilterSet, DirectionFilterSet
from apps.taxonomy.api.serializers import (
    ChallengeSerializer,
    ChallengeWriteSerializer,
    DirectionSerializer,
    DirectionWriteSerializer,
    PhaseSerializer,
    PhaseWriteSerializer,
)
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from apps.taxonomy.services import taxonomy_item_create, taxonomy_item_delete


def taxonomy_schema(read: type, write: type, noun: str):  # type: ignore[no-untyped-def]
    return extend_schema_view(
        list=extend_schema(summary=f"List {noun}s"),
        retrieve=extend_schema(summary=f"One {noun}, by slug"),
        create=extend_schema(
            summary=f"Add a {noun} (curators)", request=write, responses={201: read}
        ),
        update=extend_schema(
            summary=f"Replace a {noun} (curators)", request=write, responses={200: read}
        ),
        partial_update=extend_schema(
            summary=f"Edit a {noun} (curators)", request=write, responses={200: read}
        ),
        destroy=extend_schema(
            summary=f"Delete a {noun} nothing uses (curators)", responses={204: None}
        ),
    )


class TaxonomyViewSet(
    AnonymousAnswerCacheMixin, ReadWriteSerializersMixin, FieldSelectionMixin, viewsets.ModelViewSet
):
    """Shared behaviour: lookup by slug, reads with counts, writes through services."""

    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    write_serializer_class: type[serializers.Serializer]

    def _answer(self, item: Phase | Challenge | ResearchDirection, code: int) -> Response:
        fresh = self.get_queryset().get(pk=item.pk)
        return Response(self.read_serializer(fresh).data, status=code)

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        payload = self.write_serializer_class(
            data=request.data, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        item = taxonomy_item_create(
            model=self.get_queryset().model, data=payload.validated_data, actor=acting_user(request)
        )
        return self._answer(item, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        item = self.get_object()
        payload = self.write_serializer_class(
            item,
            data=request.data,
            partial=bool(kwargs.get("partial", False)),
            context=self.get_serializer_context(),
        )
        payload.is_valid(raise_exception=True)
        item = taxonomy_item_edit(
            item=item, data=payload.validated_data, actor=acting_user(request)
        )
        return self._answer(item, status.HTTP_200_OK)

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        taxonomy_item_delete(item=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@taxonomy_schema(PhaseSerializer, PhaseWriteSerializer, "phase")
class PhaseViewSet(TaxonomyViewSet):
    """The six lifecycle phases (and any curators add), in lifecycle order."""

    queryset = Phase.objects.all()
    serializer_class = PhaseSerializer
    write_serializer_class = PhaseWriteSerializer

    def get_queryset(self) -> QuerySet[Phase]:
        return Phase.objects.prefetch_related("status_topics", "challenges", "directions")


@taxonomy_schema(ChallengeSerializer, ChallengeWriteSerializer, "challenge")
class ChallengeViewSet(TaxonomyViewSet):
    """Key challenges of the phases."""

    queryset = Challenge.objects.all()
    serializer_class = ChallengeSerializer
    write_serializer_class = ChallengeWriteSerializer
    filterset_class = ChallengeFilterSet

    def get_queryset(self) -> QuerySet[Challenge]:
        return Challenge.objects.select_related("phase").prefetch_related("directions")


@taxonomy_schema(DirectionSerializer, DirectionWriteSerializer, "research direction")
class DirectionViewSet(TaxonomyViewSet):
    """Research directions of the phases and the challenges each addresses."""

    queryset = ResearchDirection.objects.all()
    serializer_class = DirectionSerializer
    write_serializer_class = DirectionWriteSerializer
    filterset_class = DirectionFilterSet

    def get_queryset(self) -> QuerySet[ResearchDirection]:
        return ResearchDirection.objects.select_related("phase").prefetch_related("challenges")
