"""The paper filters, shared by the HTML paper lists and the REST API.

Taxonomy filters (`phase`, `challenge`, `direction`) take slugs, may repeat (OR within one
parameter) and combine with each other (AND across parameters); they match accepted
placements only. Each is an EXISTS subquery, so no filter multiplies rows or needs DISTINCT.
"""

from typing import cast

import django_filters
from django import forms
from django.db.models import Exists, F, OrderBy, OuterRef, QuerySet
from django.http import QueryDict

from apps.core.filters import MultipleFilter
from apps.papers.identifiers import normalize_doi, parse_arxiv_id
from apps.papers.models import NEWEST_FIRST, OLDEST_FIRST, Category, Paper, PaperQuerySet
from apps.papers.search import MAX_QUERY_LENGTH, QuerySyntaxError, parse_search, search_papers
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

ORDERINGS: dict[str, tuple[OrderBy | str, ...]] = {
    "-cited_by_count": (F("cited_by_count").desc(nulls_last=True), "-published_at", "-id"),
    "cited_by_count": (F("cited_by_count").asc(nulls_last=True), "-published_at", "-id"),
    "published": OLDEST_FIRST,
    "-published": NEWEST_FIRST,
    "title": ("title", "id"),
    "-title": ("-title", "-id"),
    "relevance": ("-relevance", "-published_at", "-id"),
}


class SearchQueryField(forms.CharField):
    """A search in sellm's query language (apps.papers.searchquery); a query that cannot be
    parsed is a validation error with the parser's message (a 400, never an empty list)."""

    def clean(self, value: object) -> str:
        text = str(super().clean(value) or "")
        if text.strip():
            try:
                parse_search(text)
            except QuerySyntaxError as error:
                raise forms.ValidationError(str(error), code="invalid_query") from error
        return text


class SearchQueryFilter(django_filters.CharFilter):
    field_class = SearchQueryField


class ArxivIdField(forms.CharField):
    """An arXiv id in any common spelling (URL, arXiv: prefix, version), cleaned to the
    versionless id."""

    def clean(self, value: object) -> str | None:
        value = super().clean(value)
        if not value:
            return None
        parsed = parse_arxiv_id(str(value))
        if parsed is None:
            raise forms.ValidationError("%(value)r is not an arXiv id.", params={"value": value})
        return parsed[0]


class DoiField(forms.CharField):
    """A DOI, with or without resolver prefix, cleaned to its lower-case form."""

    def clean(self, value: object) -> str | None:
        value = super().clean(value)
        if not value:
            return None
        doi = normalize_doi(str(value))
        if doi is None:
            raise forms.ValidationError("%(value)r is not a DOI.", params={"value": value})
        return doi


class StrictBooleanField(forms.NullBooleanField):
    """`true`/`false` (also 1/0, yes/no); anything else is an error, never "no filter"."""

    widget = forms.TextInput  # NullBooleanSelect would turn "maybe" into None before cleaning
    TRUE = frozenset({"true", "1", "yes", "on"})
    FALSE = frozenset({"false", "0", "no", "off"})

    def to_python(self, value: object) -> bool | None:  # type: ignore[override]  # None: no filter
        if value in (None, ""):
            return None
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in self.TRUE or text in self.FALSE:
            return text in self.TRUE
        raise forms.ValidationError(
            "%(value)r is not true or false.", code="invalid", params={"value": value}
        )

    def validate(self, value: object) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IntegerFilter(django_filters.NumberFilter):
    """A whole number: `2024.5` is an error, not a year nobody published in."""

    field_class = forms.IntegerField


class ArxivIdFilter(django_filters.Filter):
    field_class = ArxivIdField


class DoiFilter(django_filters.Filter):
    field_class = DoiField


class PlacedInFilter(MultipleFilter):
    """Papers with an accepted placement on any of the given taxonomy items (by slug)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("to_field_name", "slug")
        super().__init__(*args, **kwargs)

    def filter(self, queryset: QuerySet, value: list) -> QuerySet:
        if not value:
            return queryset
        return cast(PaperQuerySet, queryset).placed_in(**{f"{self.field_name}__in": value})


class PaperFilterSet(django_filters.FilterSet):
    q = SearchQueryFilter(
        method="filter_search",
        max_length=MAX_QUERY_LENGTH,
        label="Search",
        help_text='Words (stemmed), "a phrase", -excluded, a OR b, title:word, author:name, '
        "venue:name, year:2023 or year:2021..2024; synonyms of the field's terms included.",
    )
    phase = PlacedInFilter(field_name="phase", queryset=Phase.objects.all(), label="Phase (slug)")
    challenge = PlacedInFilter(
        field_name="challenge", queryset=Challenge.objects.all(), label="Challenge (slug)"
    )
    direction = PlacedInFilter(
        field_name="direction",
        queryset=ResearchDirection.objects.all(),
        label="Research direction (slug)",
    )
    year = IntegerFilter(field_name="year", min_value=1800, max_value=2200)
    year_min = IntegerFilter(
        field_name="year", lookup_expr="gte", min_value=1800, max_value=2200, label="From year"
    )
    year_max = IntegerFilter(
        field_name="year", lookup_expr="lte", min_value=1800, max_value=2200, label="To year"
    )
    author = django_filters.CharFilter(
        field_name="author_names", lookup_expr="icontains", max_length=200, label="Author name"
    )
    category = MultipleFilter(
        queryset=Category.objects.all(), method="filter_category", label="arXiv category"
    )
    source = django_filters.ChoiceFilter(choices=Paper.Source.choices)
    status = django_filters.ChoiceFilter(choices=Paper.Status.choices)
    has_doi = StrictBooleanFilter(method="filter_has_doi", label="Has a DOI (true or false)")
    kind = django_filters.ChoiceFilter(choices=Paper.Kind.choices, label="Kind of paper")
    has_code = StrictBooleanFilter(
        method="filter_has_code", label="Links to its own code (true or false)"
    )
    cited_by_min = IntegerFilter(
        field_name="cited_by_count",
        lookup_expr="gte",
        min_value=0,
        max_value=2**31 - 1,  # the column is a PostgreSQL integer
        label="Cited at least this often (OpenAlex; papers with no known count are left out)",
    )
    arxiv_id = ArxivIdFilter(max_length=100, label="arXiv id")
    doi = DoiFilter(max_length=300, label="DOI")
    ordering = django_filters.ChoiceFilter(
        choices=[(key, key) for key in ORDERINGS], method="filter_ordering", label="Order by"
    )

    class Meta:
        model = Paper
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return search_papers(queryset, parse_search(value)) if value.strip() else queryset

    def filter_category(self, queryset: QuerySet, name: str, value: list) -> QuerySet:
        if not value:
            return queryset
        # The codes themselves, not the validated queryset: as a subquery, PostgreSQL joined
        # the category table to every link of the category (60,000 for cs.SE at 100,000
        # papers) instead of reading the (category, paper) index alone. The form's validation
        # has loaded the queryset already: no query.
        codes = [category.pk for category in value]
        through = Paper.categories.through.objects.filter(paper=OuterRef("pk"), category__in=codes)
        return queryset.filter(Exists(through))

    def filter_has_doi(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(doi__isnull=not value)

    def filter_has_code(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.exclude(code_url="") if value else queryset.filter(code_url="")

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset  # applied last, in filter_queryset, once the search has annotated

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        searching = bool((self.form.cleaned_data.get("q") or "").strip())
        ordering = self.form.cleaned_data.get("ordering") or ("relevance" if searching else "")
        if ordering == "relevance" and not searching:
            ordering = ""
        return queryset.order_by(*ORDERINGS[ordering or "-published"])


def active_filters(query: QueryDict) -> set[str]:
    """The filters of PaperFilterSet that `query` sets to something (ordering and paging are
    not filters; blank values and unknown parameters filter nothing)."""
    return {
        name
        for name in PaperFilterSet.base_filters
        if name != "ordering" and any(value.strip() for value in query.getlist(name))
    }
