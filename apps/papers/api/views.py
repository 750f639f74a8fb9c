"""Papers (with BibTeX and CSL-JSON exports), placements, authors and stats.

What a user sees is decided in `get_queryset` by the selectors: the public gets included
papers and accepted placements only — in lists, details, nested rows, counts and exports.
Writes are for curators and go through `apps.papers.services`.
"""

from typing import cast

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.cache import AnonymousAnswerCacheMixin
from apps.core.api.fields import FieldSelectionMixin, ReadWriteSerializersMixin
from apps.core.api.pagination import PageOrCursorPagination
from apps.core.api.permissions import acting_user
from apps.core.roles import is_curator
from apps.papers.api.filtersets import AuthorFilterSet, PlacementFilterSet
from apps.papers.api.renderers import (
    BibTeXRenderer,
    CSLJSONRenderer,
    ExportRenderer,
    RISRenderer,
)
from apps.papers.api.serializers import (
    AuthorDetailSerializer,
    AuthorSerializer,
    PaperSerializer,
    PaperWriteSerializer,
    PlacementSerializer,
    PlacementWriteSerializer,
    ReviewSerializer,
)
from apps.papers.filtersets import PaperFilterSet, active_filters
from apps.papers.gaps import NO_RECENT_WORK, THIN, GapRow
from apps.papers.gaps import gap_map as gap_figures
from apps.papers.models import NEWEST_FIRST, Author, Authorship, Paper, Placement
from apps.papers.relations import attach_relations, stream_with_relations
from apps.papers.search import SearchPaginator
from apps.papers.selectors import (
    STATS_GROUPS,
    paper_counts,
    papers_visible_to,
    placements_visible_to,
)
from apps.papers.services import (
    paper_create,
    paper_delete,
    paper_edit,
    placement_delete,
    placement_edit,
    placement_place,
    placement_review,
)

# Papers fetched (with their authors and placements) per round trip while exporting.
EXPORT_CHUNK = 1000

CSL_ITEMS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["id", "type", "title"],
        "properties": {
            "id": {"type": "string"},
            "type": {"type": "string"},
            "title": {"type": "string"},
        },
        "additionalProperties": True,
    },
}
EXPORT_SCHEMAS = {
    BibTeXRenderer.media_type: {"type": "string", "description": "BibTeX entries, streamed."},
    CSLJSONRenderer.media_type: CSL_ITEMS,
    RISRenderer.media_type: {"type": "string", "description": "RIS records, streamed."},
}
EXPORT_NOTE = (
    " With `format=bibtex`, `format=csljson` or `format=ris` (or the matching Accept header) "
    "the answer is "
    "every matching paper, streamed in that format, without paging."
)


class PaperPagination(PageOrCursorPagination):
    """Paper lists: searches estimate large totals and rank large ones in a window."""

    paginator_class = SearchPaginator


@extend_schema_view(
    list=extend_schema(
        summary="List, filter and search papers",
        description="Filters combine (AND); a taxonomy filter repeated or comma-separated "
        "matches any of its values (OR). `q` is full-text search over title, authors, "
        'abstract, curators\' notes and venue: words (stemmed), "phrases", -exclusions, '
        "a OR b, title:/author:/venue: prefixes, year:2023 or year:2021..2024, with the "
        "field's synonyms (LLM = large language model …); a query that cannot be parsed "
        "answers 400 with the reason. A search is ordered by relevance unless `ordering` says "
        "otherwise; above 5,000 matches relevance ranks the 1,000 newest matches, then lists "
        "the rest newest first, and `count` may be an estimate (`count_is_estimate`)."
        + EXPORT_NOTE,
        parameters=[
            OpenApiParameter("has_doi", bool, description="Has a DOI (true/false)."),
            OpenApiParameter("has_code", bool, description="Links to its own code (true/false)."),
        ],
        responses={200: PaperSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="One paper",
        responses={200: PaperSerializer},
    ),
    create=extend_schema(
        summary="Add a paper (curators)",
        description="A paper that already exists (same arXiv id, DOI, or title, year and first "
        "author) is not duplicated: it answers 200 with that paper, having gained only the "
        "fields it lacked. A new paper answers 201; the fields sent are protected from later "
        "ingestion.",
        request=PaperWriteSerializer,
        responses={201: PaperSerializer, 200: PaperSerializer},
    ),
    update=extend_schema(
        summary="Replace a paper's editable fields (curators)",
        request=PaperWriteSerializer,
        responses={200: PaperSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a paper (curators)",
        description="Edited fields are protected from later ingestion. `status` moves the "
        "paper between inbox, included and excluded (with `status_reason`).",
        request=PaperWriteSerializer,
        responses={200: PaperSerializer},
    ),
    destroy=extend_schema(summary="Delete a paper (curators)", responses={204: None}),
)
class PaperViewSet(
    AnonymousAnswerCacheMixin, ReadWriteSerializersMixin, FieldSelectionMixin, viewsets.ModelViewSet
):
    """Papers: the public sees included ones, curators all (and may filter by status)."""

    pagination_class = PaperPagination

    serializer_class = PaperSerializer
    write_serializer_class = PaperWriteSerializer
    filterset_class = PaperFilterSet
    throttle_search_params = ("q",)
    export_renderer_classes = (BibTeXRenderer, CSLJSONRenderer, RISRenderer)
    export_response_schemas = EXPORT_SCHEMAS  # for the OpenAPI schema

    def get_renderers(self) -> list:
        renderers = super().get_renderers()
        if self.action in ("list", "retrieve"):
            renderers += [renderer() for renderer in self.export_renderer_classes]
        return renderers

    @property
    def exporting(self) -> bool:
        return isinstance(getattr(self.request, "accepted_renderer", None), ExportRenderer)

    def get_queryset(self) -> QuerySet[Paper]:
        return papers_visible_to(self.request.user)

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # With no filter asked for, every filter would pass the rows through unchanged;
        # building and validating the 17-field filter form is then a measurable share of the
        # list's time (bench/api_bench.py), so it is skipped.
        if self.request.query_params.keys().isdisjoint(PaperFilterSet.base_filters):
            return queryset.order_by(*NEWEST_FIRST)  # the filterset's default order
        return super().filter_queryset(queryset)

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        papers = self.filter_queryset(self.get_queryset())
        if self.exporting:  # streamed, not a DRF Response (finalize_response takes either)
            self.paginator.check_parameters(request)  # type: ignore[union-attr]
            # Exports write accepted placements, whoever asks, as the web's downloads do.
            rows = stream_with_relations(papers, chunk_size=EXPORT_CHUNK)
            return self.stream(rows, "papers")  # type: ignore[return-value]
        page = self.paginate_queryset(papers)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        paper = self.get_object()
        if self.exporting:
            return self.stream(attach_relations([paper]), f"paper-{paper.pk}")  # type: ignore[return-value]
        return Response(self.get_serializer(paper).data)

    def stream(self, papers, name: str) -> StreamingHttpResponse:  # type: ignore[no-untyped-def]
        renderer: ExportRenderer = self.request.accepted_renderer  # type: ignore[assignment]
        response = StreamingHttpResponse(
            (piece.encode("utf-8") for piece in renderer.stream(papers)),
            content_type=f"{renderer.media_type}; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="sellm-{name}.{renderer.extension}"'
        )
        return response

    def finalize_response(self, request: Request, response, *args, **kwargs):  # type: ignore[no-untyped-def]
        # An error while exporting (a bad filter, a missing paper) is still answered in JSON.
        if isinstance(response, Response) and response.status_code >= 400 and self.exporting:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    def answer(self, paper: Paper, code: int) -> Response:
        fresh = papers_visible_to(self.request.user).get(pk=paper.pk)
        data = self.read_serializer(fresh).data
        return Response(data, status=code, headers={"Location": data["url"]})

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        payload = PaperWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        paper, created = paper_create(data=payload.validated_data, actor=acting_user(request))
        return self.answer(paper, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        paper = self.get_object()
        payload = PaperWriteSerializer(
            paper, data=request.data, partial=bool(kwargs.get("partial", False))
        )
        payload.is_valid(raise_exception=True)
        paper = paper_edit(paper=paper, data=payload.validated_data, actor=acting_user(request))
        return self.answer(paper, status.HTTP_200_OK)

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        paper_delete(paper=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="List placements of papers in the taxonomy"),
    retrieve=extend_schema(summary="One placement"),
    create=extend_schema(
        summary="Place a paper (curators)",
        description="Places the paper into one phase, challenge or direction, accepted. An "
        "existing placement there (a suggestion, say) is accepted rather than duplicated. "
        "Answers 201 when something changed, 200 when the paper was already placed there.",
        request=PlacementWriteSerializer,
        responses={201: PlacementSerializer, 200: PlacementSerializer},
    ),
    update=extend_schema(
        summary="Change a placement (curators)",
        request=PlacementWriteSerializer,
        responses={200: PlacementSerializer},
    ),
    partial_update=extend_schema(
        summary="Edit a placement: target, evidence or review state (curators)",
        request=PlacementWriteSerializer,
        responses={200: PlacementSerializer},
    ),
    destroy=extend_schema(summary="Delete a placement (curators)", responses={204: None}),
    accept=extend_schema(
        summary="Accept a placement (curators)",
        request=None,
        responses={200: PlacementSerializer},
    ),
    reject=extend_schema(
        summary="Reject a placement (curators)",
        request=None,
        responses={200: PlacementSerializer},
    ),
)
class PlacementViewSet(
    AnonymousAnswerCacheMixin, ReadWriteSerializersMixin, FieldSelectionMixin, viewsets.ModelViewSet
):
    """Placements: the public sees accepted ones of included papers; curators see all, and
    accept or reject suggestions."""

    serializer_class = PlacementSerializer
    write_serializer_class = PlacementWriteSerializer
    filterset_class = PlacementFilterSet

    def get_queryset(self) -> QuerySet[Placement]:
        return (
            placements_visible_to(self.request.user)
            .for_display()  # type: ignore[attr-defined]  # a PlacementQuerySet method
            .order_by("-id")  # newest first: the pk index serves it, whatever the table size
            .select_related("paper")
            .defer("paper__abstract", "paper__bibtex_fields", "paper__arxiv_versions")
        )

    def answer(self, placement: Placement, code: int) -> Response:
        fresh = self.get_queryset().get(pk=placement.pk)
        return Response(self.read_serializer(fresh).data, status=code)

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        payload = PlacementWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        placement, changed = placement_place(
            paper=data["paper"],
            target=data["target"],
            actor=acting_user(request),
            evidence=data.get("evidence", ""),
        )
        return self.answer(placement, status.HTTP_201_CREATED if changed else status.HTTP_200_OK)

    def update(self, request: Request, *args: object, **kwargs: object) -> Response:
        placement = self.get_object()
        payload = PlacementWriteSerializer(
            placement, data=request.data, partial=bool(kwargs.get("partial", False))
        )
        payload.is_valid(raise_exception=True)
        changes = {
            name: payload.validated_data[name]
            for name in ("target", "evidence", "review_state")
            if name in payload.validated_data
        }
        placement = placement_edit(placement=placement, data=changes, actor=acting_user(request))
        return self.answer(placement, status.HTTP_200_OK)

    def destroy(self, request: Request, *args: object, **kwargs: object) -> Response:
        placement_delete(placement=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    def accept(self, request: Request, pk: str | None = None) -> Response:
        return self._review(accept=True)

    @action(detail=True, methods=["post"], serializer_class=ReviewSerializer)
    def reject(self, request: Request, pk: str | None = None) -> Response:
        return self._review(accept=False)

    def _review(self, *, accept: bool) -> Response:
        placement = self.get_object()
        placement_review(placements=[placement], accept=accept, actor=acting_user(self.request))
        return self.answer(placement, status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(summary="List authors (search by name with q)"),
    retrieve=extend_schema(summary="One author, with their papers"),
)
class AuthorViewSet(AnonymousAnswerCacheMixin, FieldSelectionMixin, viewsets.ReadOnlyModelViewSet):
    """Authors; the public sees those with an included paper, and only included papers."""

    filterset_class = AuthorFilterSet

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return AuthorDetailSerializer if self.action == "retrieve" else AuthorSerializer

    def get_queryset(self) -> QuerySet[Author]:
        # Alphabetical by folded name (accents ignored), which its unique index serves.
        authors = Author.objects.order_by("name_key", "id")
        if is_curator(self.request.user):
            return authors
        public = Authorship.objects.filter(
            author=OuterRef("pk"), paper__status=Paper.Status.INCLUDED
        )
        return authors.filter(Exists(public))

    def list(self, request: Request, *args: object, **kwargs: object) -> Response:
        page = cast(
            "list[Author]", self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        )
        # Counted for the page only, in one grouped query: a count annotation on the whole
        # filtered list was computed for every author before sorting (0.7 s for 60,000).
        counts: dict[int, int] = dict(
            Authorship.objects.filter(author__in=page, paper__status=Paper.Status.INCLUDED)
            .order_by()
            .values_list("author_id")
            .annotate(n=Count("paper_id", distinct=True))
        )
        for author in page:
            author.paper_count = counts.get(author.pk, 0)  # type: ignore[attr-defined]  # read by AuthorSerializer
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request: Request, *args: object, **kwargs: object) -> Response:
        author = self.get_object()
        author.paper_count = (
            Paper.objects.included().filter(authorships__author=author).distinct().count()
        )
        author.visible_papers = list(
            papers_visible_to(request.user)
            .filter(authorships__author=author)
            .only("id", "title", "year", "arxiv_id")
            .order_by("-published_at", "-id")
        )
        return Response(self.get_serializer(author).data)


class StatsSerializer(serializers.Serializer):
    """Counts of included papers per group."""

    group_by = serializers.ListField(child=serializers.ChoiceField(choices=STATS_GROUPS))
    results = serializers.ListField(
        child=serializers.DictField(),
        help_text="One row per group: the group values (slugs, year) and `count`.",
    )


class StatsView(AnonymousAnswerCacheMixin, generics.GenericAPIView):
    """Included papers counted by phase, challenge, direction and/or year, after the same
    filters as the paper list."""

    queryset = Paper.objects.none()
    filterset_class = PaperFilterSet
    serializer_class = StatsSerializer
    pagination_class = None
    throttle_search_params = ("q",)
    filters_in_schema = True

    @extend_schema(
        summary="Count included papers by phase, challenge, direction or year",
        description="Like OpenAlex's group_by: one or two of phase, challenge, direction, "
        "year (two taxonomy levels only as phase with challenge or direction). A paper placed "
        "in two challenges counts once in each. Takes every filter of the paper list.",
        parameters=[
            OpenApiParameter(
                "group_by",
                str,
                required=True,
                description="Comma-separated: one or two of " + ", ".join(STATS_GROUPS) + ".",
            )
        ],
        responses={200: StatsSerializer},
    )
    def get(self, request: Request) -> Response:
        raw = ",".join(request.query_params.getlist("group_by"))
        groups = [part.strip() for part in raw.split(",") if part.strip()]
        papers = self.filter_queryset(Paper.objects.included())
        # Unfiltered: every included paper, which the summary of counts holds.
        rows = paper_counts(papers, groups, public=not active_filters(request.query_params))
        return Response({"group_by": list(dict.fromkeys(groups)), "results": rows})


class GapYearSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Public papers placed here that year.")
    share = serializers.FloatField(help_text="count / every public paper of that year in sellm.")


class GapChallengeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    earlier = serializers.IntegerField(help_text="Papers before the window's first year.")
    recent = serializers.IntegerField(help_text="Papers in the recent years.")
    recent_share_of_phase = serializers.FloatField(
        allow_null=True, help_text="recent / the phase's recent papers (null: phase has none)."
    )
    flag = serializers.ChoiceField(
        choices=[NO_RECENT_WORK, THIN],
        allow_null=True,
        help_text="no-recent-work: the phase has recent papers, this challenge none; thin: "
        "under half of an even share of the phase's recent papers; null: neither.",
    )
    years = GapYearSerializer(many=True)


class GapPhaseSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    total = serializers.IntegerField()
    earlier = serializers.IntegerField()
    recent = serializers.IntegerField()
    years = GapYearSerializer(many=True)
    challenges = GapChallengeSerializer(many=True)


class GapCoverageSerializer(serializers.Serializer):
    newest_paper = serializers.DateField(
        allow_null=True, help_text="Date of the newest paper: the map says nothing after it."
    )
    years = serializers.ListField(child=serializers.IntegerField())
    recent_years = serializers.ListField(child=serializers.IntegerField())
    partial_year = serializers.IntegerField(
        allow_null=True, help_text="The last year, when it is counted only up to newest_paper."
    )


class GapMapSerializer(serializers.Serializer):
    """The gap map: papers per phase, challenge and year, as counts and shares."""

    coverage = GapCoverageSerializer()
    year_totals = serializers.DictField(
        child=serializers.IntegerField(), help_text="Every public paper of sellm, per year."
    )
    phases = GapPhaseSerializer(many=True)


def _gap_years(row: GapRow) -> list[dict]:
    return [{"year": c.year, "count": c.count, "share": c.share} for c in row.cells]


class GapMapView(AnonymousAnswerCacheMixin, generics.GenericAPIView):
    """The gap map's figures (the same as /gaps/), for scripts."""

    queryset = Paper.objects.none()
    serializer_class = GapMapSerializer
    pagination_class = None

    @extend_schema(
        summary="Papers per phase, challenge and year, with shares and gap flags",
        description="Counts of included papers with accepted placements per phase and per "
        "challenge for each year of the coverage window (eight years ending with the newest "
        "paper's year), each with its share of all included papers of that year. Challenges "
        "are flagged only against their own phase's recent papers.",
        responses={200: GapMapSerializer},
    )
    def get(self, request: Request) -> Response:
        figures = gap_figures(Paper.objects.included(), public=True)
        data = {
            "coverage": {
                "newest_paper": figures.newest,
                "years": figures.years,
                "recent_years": figures.recent_years,
                "partial_year": figures.partial_year,
            },
            "year_totals": {str(y): n for y, n in sorted(figures.year_totals.items())},
            "phases": [
                {
                    "slug": p.row.slug,
                    "name": p.row.name,
                    "total": p.row.total,
                    "earlier": p.row.earlier,
                    "recent": p.row.recent,
                    "years": _gap_years(p.row),
                    "challenges": [
                        {
                            "slug": c.slug,
                            "name": c.name,
                            "total": c.total,
                            "earlier": c.earlier,
                            "recent": c.recent,
                            "recent_share_of_phase": c.recent_share_of_phase,
                            "flag": c.flag,
                            "years": _gap_years(c),
                        }
                        for c in p.challenges
                    ],
                }
                for p in figures.phases
            ],
        }
        return Response(GapMapSerializer(data).data)
