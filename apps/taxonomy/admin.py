"""Curators edit the taxonomy here; paper counts are read from the papers app (delivery layer)."""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import CuratedAdmin, short
from apps.core.query import subquery_count
from apps.papers.models import Paper, Placement
from apps.papers.services import placement_phases_sync
from apps.taxonomy.models import Challenge, Phase, ResearchDirection, StatusTopic


def included_paper_count(fk_field: str):  # type: ignore[no-untyped-def]
    """Distinct included papers with an accepted placement on the outer taxonomy row."""
    return subquery_count(
        Placement,
        fk_field,
        distinct="paper",
        review_state=Placement.ReviewState.ACCEPTED,
        paper__status=Paper.Status.INCLUDED,
    )


class StatusTopicInline(admin.TabularInline):
    model = StatusTopic
    fields = ("position", "name", "note", "provenance")
    extra = 0


@admin.register(Phase)
class PhaseAdmin(CuratedAdmin):
    list_display = ("order", "name", "slug", "challenge_count", "direction_count", "paper_count")
    list_display_links = ("name",)
    search_fields = ("name", "slug", "summary")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (StatusTopicInline,)
    fields = (
        "order",
        "name",
        "slug",
        "summary",
        "description",
        "keywords",
        "curator_edited_fields",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Phase]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                challenge_count=subquery_count(Challenge, "phase"),
                direction_count=subquery_count(ResearchDirection, "phase"),
                paper_count=included_paper_count("phase"),
            )
        )

    @admin.display(description="challenges", ordering="challenge_count")
    def challenge_count(self, obj: Phase) -> int:
        return obj.challenge_count  # type: ignore[attr-defined]

    @admin.display(description="directions", ordering="direction_count")
    def direction_count(self, obj: Phase) -> int:
        return obj.direction_count  # type: ignore[attr-defined]

    @admin.display(description="included papers", ordering="paper_count")
    def paper_count(self, obj: Phase) -> int:
        return obj.paper_count  # type: ignore[attr-defined]


@admin.register(StatusTopic)
class StatusTopicAdmin(CuratedAdmin):
    list_display = ("name", "phase", "note", "provenance", "position")
    list_filter = ("phase", "provenance")
    list_select_related = ("phase",)
    search_fields = ("name", "note")
    autocomplete_fields = ("phase",)


class TaxonomyItemAdmin(CuratedAdmin):
    """Shared by challenges and directions: placements follow an item that changes phase."""

    list_select_related = ("phase",)
    search_fields = ("name", "slug", "summary")
    autocomplete_fields = ("phase",)
    prepopulated_fields = {"slug": ("name",)}

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        if change and "phase" in form.changed_data:
            placement_phases_sync()

    @admin.display(description="summary")
    def short_summary(self, obj: Challenge | ResearchDirection) -> str:
        return short(obj.summary, 80)

    @admin.display(description="included papers", ordering="paper_count")
    def paper_count(self, obj: Challenge | ResearchDirection) -> int:
        return obj.paper_count  # type: ignore[union-attr]


@admin.register(Challenge)
class ChallengeAdmin(TaxonomyItemAdmin):
    list_display = ("name", "phase", "provenance", "direction_count", "paper_count")
    list_filter = ("phase", "provenance")
    fields = (
        "phase",
        "position",
        "name",
        "slug",
        "provenance",
        "summary",
        "description",
        "keywords",
        "curator_edited_fields",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Challenge]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                direction_count=subquery_count(ResearchDirection.challenges.through, "challenge"),
                paper_count=included_paper_count("challenge"),
            )
        )

    @admin.display(description="directions", ordering="direction_count")
    def direction_count(self, obj: Challenge) -> int:
        return obj.direction_count  # type: ignore[attr-defined]


@admin.register(ResearchDirection)
class ResearchDirectionAdmin(TaxonomyItemAdmin):
    list_display = ("name", "phase", "status", "provenance", "challenge_list", "paper_count")
    list_filter = ("phase", "status", "provenance")
    autocomplete_fields = ("phase", "challenges")
    fields = (
        "phase",
        "position",
        "name",
        "slug",
        "status",
        "provenance",
        "challenges",
        "summary",
        "description",
        "curator_edited_fields",
        "created_at",
        "updated_at",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ResearchDirection]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("challenges")
            .annotate(paper_count=included_paper_count("direction"))
        )

    @admin.display(description="addresses")
    def challenge_list(self, obj: ResearchDirection) -> str:
        return ", ".join(challenge.name for challenge in obj.challenges.all())
