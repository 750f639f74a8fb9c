"""Input the API refuses rather than ignores: unknown body fields and empty filter values.

A script that misspells a field (`max` for `max_results`) or sends `?status=` would otherwise
get an answer to a question it did not ask; a 400 that names the parameter tells it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from django.http import QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from rest_framework.request import Request
    from rest_framework.views import APIView

# Sent by HTML forms (the browsable API), never a field of a resource.
FORM_ONLY_KEYS = frozenset({"csrfmiddlewaretoken"})


class RefuseUnknownFieldsMixin:
    """Serializer mixin: a body key that is no field of the resource is a 400 naming it.

    `answer_serializer` is the resource's read shape: its fields (id, url, counts, …) may come
    back in a PUT of a GET answer and are ignored, since they are the resource's own.
    """

    answer_serializer: ClassVar[type[serializers.Serializer] | None] = None
    _answer_fields: ClassVar[frozenset[str] | None] = None

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            fields = self.fields  # type: ignore[attr-defined]
            writable = [name for name, field in fields.items() if not field.read_only]
            known = set(fields) | FORM_ONLY_KEYS | self.answer_fields()
            unknown = sorted(str(key) for key in data if key not in known)
            if unknown:
                message = f"Unknown field; the fields are: {', '.join(writable)}."
                raise ValidationError({name: [message] for name in unknown})
            wrong = _wrong_types(fields, data)
            if wrong:
                raise ValidationError(wrong)
        return super().to_internal_value(data)  # type: ignore[misc]

    @classmethod
    def answer_fields(cls) -> frozenset[str]:
        if cls.answer_serializer is None:
            return frozenset()
        if cls.__dict__.get("_answer_fields") is None:
            cls._answer_fields = frozenset(cls.answer_serializer().fields)
        return cls._answer_fields or frozenset()


# JSON types each kind of field takes. DRF also takes 0 for "0", "5" or 5.0 for 5, 1 for true:
# a script that sends those has its types wrong, and the schema says so.
_JSON_TYPES: tuple[tuple[type, tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "true or false"),
    (serializers.IntegerField, (int,), "a whole number"),
    (serializers.PrimaryKeyRelatedField, (int,), "a whole number (an id)"),
    (serializers.FloatField, (int, float), "a number"),
    (serializers.CharField, (str,), "a string"),
    (serializers.ChoiceField, (str,), "a string"),
    (serializers.SlugRelatedField, (str,), "a string (a slug)"),
    (serializers.DateTimeField, (str,), "a date-time string"),
    (serializers.DateField, (str,), "a date string"),
)


def _wrong_types(fields: Mapping[str, serializers.Field], data: Mapping) -> dict[str, list[str]]:
    """Fields whose value has the wrong JSON type (JSON bodies), or is empty where the field
    takes no empty value (form bodies, where "" would silently mean null or "leave as is")."""
    form = isinstance(data, QueryDict)
    wrong: dict[str, list[str]] = {}
    for name, field in fields.items():
        if field.read_only or name not in data:
            continue
        if form:
            if data.get(name) == "" and not getattr(field, "allow_blank", False):
                wrong[name] = ["The value is empty: give one, or leave the field out."]
            continue
        value = data[name]
        if value is None:
            continue  # DRF answers for fields that take no null
        many = isinstance(field, serializers.ListField | serializers.ManyRelatedField)
        child = field.child if isinstance(field, serializers.ListField) else None
        if isinstance(field, serializers.ManyRelatedField):
            child = field.child_relation
        if many and not isinstance(value, list):
            wrong[name] = ["Expected a list."]  # DRF would take an object's keys as items
            continue
        items = value if many else [value]
        expected = _expected_json(child if many else field)
        if expected is None:
            continue
        types, words = expected
        if any((isinstance(item, bool) and bool not in types) or not isinstance(item, types)
               for item in items):  # fmt: skip
            wrong[name] = [f"Expected {words}{' for each item' if many else ''}."]
    return wrong


def _expected_json(field: serializers.Field | None) -> tuple[tuple[type, ...], str] | None:
    for kind, types, words in _JSON_TYPES:
        if isinstance(field, kind):
            return types, words
    return None


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, except that a filter given an empty value is a 400.

    django-filter treats `?status=` as "no filter"; a script that sent it meant something,
    so the API says the value is missing. Free-text search (`q`) may be empty: an empty
    search box searches nothing. The HTML pages keep the lenient behaviour (their forms send
    every field, filled or not).
    """

    BLANK_ALLOWED = frozenset({"q"})

    def filter_queryset(self, request: Request, queryset: QuerySet, view: APIView) -> QuerySet:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            names = set(filterset_class.base_filters) - self.BLANK_ALLOWED
            empty = sorted(
                name
                for name in names
                if name in request.query_params
                and not any(value.strip() for value in request.query_params.getlist(name))
            )
            if empty:
                raise ValidationError(
                    {name: ["The value is empty: give one, or leave the parameter out."]
                     for name in empty}
                )  # fmt: skip
        return super().filter_queryset(request, queryset, view)


class IntegerPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A relation by integer id: `1.5`, `true` or `"1.0"` is a 400, not row 1.

    DRF hands the raw value to the database lookup, which truncates 1.5 to 1."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not (
            isinstance(data, int) or (isinstance(data, str) and data.strip().isdigit())
        ):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(int(data))
