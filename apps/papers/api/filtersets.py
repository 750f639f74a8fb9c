"""Filters of the author and placement lists (the paper filters are the shared
`apps.papers.filtersets.PaperFilterSet`)."""

import django_filters
from django.db.models import QuerySet

from apps.core.filters import MultipleFilter
from apps.core.text import fold
from apps.papers.filtersets import IntegerFilter
from apps.papers.models import Author, Placement
from apps.taxonomy.models import Challenge, Phase, ResearchDirection


class AuthorFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_name",
        max_length=200,
        label="Name contains (case and accents ignored)",
    )

    class Meta:
        model = Author
        fields: list[str] = []

    def filter_name(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        words = fold(value).split()
        for word in words:
            queryset = queryset.filter(name_key__contains=word)
        return queryset


class PlacementFilterSet(django_filters.FilterSet):
    paper = IntegerFilter(field_name="paper_id", min_value=1, label="Paper id")
    phase = MultipleFilter(
        field_name="phase__slug",
        to_field_name="slug",
        queryset=Phase.objects.all(),
        label="Phase (slug)",
    )
    challenge = MultipleFilter(
        field_name="challenge__slug",
        to_field_name="slug",
        queryset=Challenge.objects.all(),
        label="Challenge (slug)",
    )
    direction = MultipleFilter(
        field_name="direction__slug",
        to_field_name="slug",
        queryset=ResearchDirection.objects.all(),
        label="Research direction (slug)",
    )
    origin = django_filters.ChoiceFilter(choices=Placement.Origin.choices)
    review_state = django_filters.ChoiceFilter(choices=Placement.ReviewState.choices)

    class Meta:
        model = Placement
        fields: list[str] = []
