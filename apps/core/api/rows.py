"""Row serializers rendered straight from their declared fields: one declaration per field.

A list page renders up to 200 rows. DRF's generic path binds a copy of every field per
serializer and calls `get_attribute` and `to_representation` per field and row, and nested
serializers per related row: on the paper list that cost more than the database
(bench/api_bench.py). `FastRowSerializer` instead derives, once per serializer, one reader per
declared field that `?fields=` kept — an attribute read plus the field's own conversion (a
quicker equal one for the common types) — and `PageRowsField`s load what they show for the
whole page first, one query each, only when selected. The answer is DRF's generic one (a test
holds the two equal), so adding a field is adding its declaration.
"""

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from rest_framework import serializers

from apps.core.api.fields import SelectableFieldsSerializer

Reader = Callable[[Any], Any]
# Rows for a page: (the rows' primary keys, the serializer context) → {key: what to show}.
PageLoader = Callable[[list[Any], Mapping[str, Any]], Mapping[Any, Any]]


def iso_datetime(value: datetime) -> str:
    """A datetime as DRF writes it with TIME_ZONE = UTC: ISO 8601 with Z."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Exact field types whose DRF conversion of a model value is the value itself, or a quicker
# equal function: what the reader applies instead of calling `to_representation`.
_QUICK: dict[type, Callable[[Any], Any] | None] = {
    serializers.CharField: None,
    serializers.IntegerField: None,
    serializers.BooleanField: None,
    serializers.ChoiceField: None,
    serializers.DateTimeField: iso_datetime,
}


def field_reader(field: serializers.Field, name: str, serializer: "FastRowSerializer") -> Reader:
    """How to render declared `field` (named `name`) of a row, as DRF would."""
    custom = getattr(field, "row_reader", None)
    if custom is not None:
        return custom(name, serializer)
    source = field.source or name
    get: Reader
    if source == "*":
        get = _same
    elif field.allow_null and "." not in source:
        get = _attribute_or_none(source)  # absent (a search's relevance) is null, as in DRF
    else:
        get = attrgetter(source)
    convert = _QUICK.get(type(field), field.to_representation)
    if convert is None:
        return get
    return lambda row: None if (value := get(row)) is None else convert(value)


def _same(row: Any) -> Any:
    return row


def _attribute_or_none(name: str) -> Reader:
    return lambda row: getattr(row, name, None)


class PageRowsField(serializers.Field):
    """A list shown beside each row (a paper's authors, say), loaded by `load` for the whole
    page in one query, and only when the field is selected."""

    def __init__(self, load: PageLoader, **kwargs: Any) -> None:
        self.load = load
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, row: Any) -> list:
        serializer: FastRowSerializer = self.parent  # type: ignore[assignment]
        return serializer.page_rows(str(self.field_name), row)

    def row_reader(self, name: str, serializer: "FastRowSerializer") -> Reader:
        return lambda row: serializer.page_rows(name, row)


class PageListSerializer(serializers.ListSerializer):
    """Loads the page's related rows (one query per selected `PageRowsField`), then renders."""

    def to_representation(self, data: Any) -> list:
        rows = list(data.all() if hasattr(data, "all") else data)
        self.child.load_page(rows)  # type: ignore[union-attr]
        return [self.child.to_representation(row) for row in rows]  # type: ignore[union-attr]


class FastRowSerializer(SelectableFieldsSerializer):
    """A read serializer rendered from readers derived from its declared fields (see above).

    Fields that need the request (links) or a page of related rows provide `row_reader`.
    """

    class Meta:
        list_serializer_class = PageListSerializer

    def selected_declared(self) -> dict[str, serializers.Field]:
        """The declared fields this answer shows (`?fields=` or all), in declared order."""
        declared = self._declared_fields
        names = self.selected_names()
        return declared if names is None else {name: declared[name] for name in names}

    def load_page(self, rows: Sequence[Any]) -> None:
        """Load the related rows of `rows` for every selected `PageRowsField`."""
        loaded: dict[str, dict] = self.__dict__.setdefault("_page_rows", {})
        done: set = self.__dict__.setdefault("_page_keys", set())
        keys = [row.pk for row in rows if row.pk not in done]
        if not keys:
            return
        for name, field in self.selected_declared().items():
            if isinstance(field, PageRowsField):
                loaded.setdefault(name, {}).update(field.load(keys, self.context))
        done.update(keys)

    def page_rows(self, name: str, row: Any) -> list:
        """The rows field `name` shows beside `row` (loading them if the page did not)."""
        if row.pk not in self.__dict__.get("_page_keys", ()):
            self.load_page([row])
        return self.__dict__["_page_rows"].get(name, {}).get(row.pk, [])

    def to_representation(self, row: Any) -> dict:
        readers = self.__dict__.get("_readers")
        if readers is None:
            readers = self._readers = [
                (name, field_reader(field, name, self))
                for name, field in self.selected_declared().items()
            ]
        return {name: read(row) for name, read in readers}
