"""Filters of the ingestion run list."""

import django_filters

from apps.ingestion.models import IngestRun


class IngestRunFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=IngestRun.Status.choices)
    kind = django_filters.ChoiceFilter(choices=IngestRun.Kind.choices)

    class Meta:
        model = IngestRun
        fields: list[str] = []
