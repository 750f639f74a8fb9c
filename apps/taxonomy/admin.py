"""Curators edit the taxonomy here; paper counts are read from the papers app (delivery layer).

Phases, challenges and directions are written by the taxonomy services (`taxonomy_item_create`,
`taxonomy_item_edit` — which moves placements with an item that changes phase —
`taxonomy_item_delete`); status topics by the generic curated services (`CuratedAdmin`)."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.db.models.functions import Coalesce
from django.forms import ModelForm
from django.http import HttpRequest

from apps.core.admin import CuratedAdmin, actor, changed_fields, short, skip_save_m2m
from apps.core.query import subquery_count
from apps.papers.models import Paper, Placement
from apps.papers.services import taxonomy_item_edit
from apps.taxonomy.models import Challenge, Phase, ResearchDirection, StatusTopic
from apps.taxonomy.services import taxonomy_item_create, taxonomy_item_delete


def included_paper_count(fk_field: str) -> Coalesce:
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


class TaxonomyWritesAdmin(CuratedAdmin):
    """Saves and deletes phases, challenges and directions through the taxonomy services."""

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        if change:
            stored = type(obj).objects.get(pk=obj.pk)
            data = {name: form.cleaned_data[name] for name in changed_fields(form, stored)}
            taxonomy_item_edit(item=stored, data=data, actor=actor(request))
        else:
            data = form.cleaned_data
            obj.pk = taxonomy_item_create(model=type(obj), data=data, actor=actor(request)).pk
        skip_save_m2m(form)  # a direction's challenges went through the service

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        taxonomy_item_delete(item=obj, actor=actor(request))


@admin.register(Phase)
class PhaseAdmin(TaxonomyWritesAdmin):
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


class TaxonomyItemAdmin(TaxonomyWritesAdmin):
    """Shared by challenges and directions (placements follow an item that changes phase:
    `taxonomy_item_edit`)."""

    list_select_related = ("phase",)
    search_fields = ("name", "slug", "summary")
    autocomplete_fields: tuple[str, ...] = ("phase",)
    prepopulated_fields = {"slug": ("name",)}

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
