"""Filters of the taxonomy lists (API only; the HTML pages browse the taxonomy by page)."""

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from apps.core.filters import MultipleFilter
from apps.taxonomy.models import Challenge, Phase, Provenance, ResearchDirection


class ChallengeFilterSet(django_filters.FilterSet):
    phase = MultipleFilter(
        field_name="phase__slug",
        to_field_name="slug",
        queryset=Phase.objects.all(),
        label="Phase (slug; repeat or comma-separate for any of several)",
    )
    provenance = django_filters.ChoiceFilter(choices=Provenance.choices)

    class Meta:
        model = Challenge
        fields: list[str] = []


class DirectionFilterSet(django_filters.FilterSet):
    phase = MultipleFilter(
        field_name="phase__slug",
        to_field_name="slug",
        queryset=Phase.objects.all(),
        label="Phase (slug; repeat or comma-separate for any of several)",
    )
    challenge = MultipleFilter(
        to_field_name="slug",
        queryset=Challenge.objects.all(),
        method="filter_challenge",
        label="Addresses any of these challenges (slug)",
    )
    status = django_filters.ChoiceFilter(choices=ResearchDirection.Status.choices)
    provenance = django_filters.ChoiceFilter(choices=Provenance.choices)

    class Meta:
        model = ResearchDirection
        fields: list[str] = []

    def filter_challenge(self, queryset: QuerySet, name: str, value: list) -> QuerySet:
        if not value:
            return queryset
        # EXISTS on the link table: no JOIN fan-out, so no DISTINCT.
        links = ResearchDirection.challenges.through.objects.filter(
            researchdirection=OuterRef("pk"), challenge__in=value
        )
        return queryset.filter(Exists(links))
