"""Listings (read and export for everyone, freeze with a curator's token) and the PRISMA flow."""

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, status, viewsets
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.cache import AnonymousAnswerCacheMixin
from apps.listings.api.renderers import (
    ListingBibTeXRenderer,
    ListingCSLRenderer,
    ListingExportRenderer,
    ListingRISRenderer,
)
from apps.listings.api.serializers import (
    ListingDetailSerializer,
    ListingFreezeSerializer,
    ListingSerializer,
    PrismaFlowSerializer,
)
from apps.listings.exports import cite_bibtex, listing_bibtex, listing_csl_json, listing_ris
from apps.listings.models import Listing, ListingEntry
from apps.listings.prisma import prisma_flow
from apps.listings.services import listing_freeze
from apps.taxonomy.models import Phase

EXPORTERS = {
    "bibtex": listing_bibtex,
    "ris": listing_ris,
    "csljson": listing_csl_json,
}
EXPORT_SCHEMAS = {
    ListingBibTeXRenderer.media_type: {"type": "string", "description": "BibTeX entries."},
    ListingRISRenderer.media_type: {"type": "string", "description": "RIS records."},
    ListingCSLRenderer.media_type: {"type": "array", "items": {"type": "object"}},
}


@extend_schema_view(
    list=extend_schema(summary="List frozen listings, newest first"),
    retrieve=extend_schema(
        summary="One listing: its papers as frozen, its citation, its PRISMA figures",
        description="With `format=bibtex`, `format=ris` or `format=csljson` (or the matching "
        "Accept header) the answer is the listing's papers as frozen, in that format.",
        responses={200: ListingDetailSerializer},
    ),
    create=extend_schema(
        summary="Freeze a paper list into a listing (curators)",
        description="Freezes the included papers the query selects now. A query frozen before "
        "makes the next version of that listing. Answers 201 with the new listing.",
        request=ListingFreezeSerializer,
        responses={201: ListingDetailSerializer},
    ),
)
class ListingViewSet(
    AnonymousAnswerCacheMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Frozen listings: public reads and exports; curators freeze new ones."""

    serializer_class = ListingSerializer
    lookup_field = "slug"
    export_renderer_classes = (ListingBibTeXRenderer, ListingRISRenderer, ListingCSLRenderer)
    export_response_schemas = EXPORT_SCHEMAS

    def get_queryset(self) -> QuerySet[Listing]:
        return Listing.objects.select_related("created_by", "previous").order_by(
            "-frozen_at", "-id"
        )

    def get_serializer_class(self):  # type: ignore[no-untyped-def]
        if self.action == "retrieve":
            return ListingDetailSerializer
        if self.action == "create":
            return ListingFreezeSerializer
        return ListingSerializer

    def get_renderers(self) -> list:
        renderers = super().get_renderers()
        if self.action == "retrieve":
            renderers += [renderer() for renderer in self.export_renderer_classes]
        return renderers

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        listing = self.get_object()
        entries = ListingEntry.objects.filter(listing=listing).order_by("position")
        renderer = request.accepted_renderer
        if isinstance(renderer, ListingExportRenderer):
            response = HttpResponse(
                EXPORTERS[renderer.format](entries),
                content_type=f"{renderer.media_type}; charset=utf-8",
            )
            response["Content-Disposition"] = (
                f'attachment; filename="sellm-{listing.slug}.{renderer.extension}"'
            )
            return response  # type: ignore[return-value]
        return Response(self._detail(listing, list(entries)))

    def _detail(self, listing: Listing, entries: list[ListingEntry]) -> dict:
        listing.entry_rows = entries  # type: ignore[attr-defined]
        url = self.request.build_absolute_uri(reverse("listings:detail", args=[listing.slug]))
        listing.cite_bibtex = cite_bibtex(listing, url)  # type: ignore[attr-defined]
        return ListingDetailSerializer(listing, context=self.get_serializer_context()).data

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        payload = ListingFreezeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        listing = listing_freeze(actor=request.user, **payload.validated_data)
        listing = self.get_queryset().get(pk=listing.pk)
        entries = list(ListingEntry.objects.filter(listing=listing).order_by("position"))
        data = self._detail(listing, entries)
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def finalize_response(self, request: Request, response, *args, **kwargs):  # type: ignore[no-untyped-def]
        # An error while exporting (a missing listing) is still answered in JSON.
        if (
            isinstance(response, Response)
            and response.status_code >= 400
            and isinstance(getattr(request, "accepted_renderer", None), ListingExportRenderer)
        ):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class PrismaView(AnonymousAnswerCacheMixin, generics.GenericAPIView):
    """The base's PRISMA 2020-style flow, whole or for one phase."""

    serializer_class = PrismaFlowSerializer
    pagination_class = None

    @extend_schema(
        summary="The knowledge base's PRISMA flow (whole, or one phase)",
        description="Records identified per source, duplicates merged, unreadable records, "
        "screened, excluded (grouped by reason), still in the inbox, deleted, included. "
        "identified - duplicates - unreadable = screened; screened - deleted - excluded - "
        "inbox = included. Per phase, duplicates and deletions are not recorded (null).",
        parameters=[OpenApiParameter("phase", str, description="A phase's slug.")],
        responses={200: PrismaFlowSerializer},
    )
    def get(self, request: Request) -> Response:
        slug = request.query_params.get("phase", "")
        phase = None
        if slug:
            phase = Phase.objects.filter(slug=slug).first()
            if phase is None:
                raise Http404(f"There is no lifecycle phase called “{slug}”.")
        return Response(prisma_flow(phase=phase))
