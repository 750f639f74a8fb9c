"""`?fields=id,title,…`: answer only the named top-level fields of each row."""

from collections.abc import Callable, Iterable
from operator import attrgetter
from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from apps.core.links import UrlTemplate

FIELDS_PARAM = "fields"


def parse_fields(raw: str | None, available: Iterable[str]) -> list[str] | None:
    """The fields named in `raw` (comma-separated), in the serializer's order; None when the
    parameter is absent. Unknown names, or none at all (`fields=`), are a 400 that lists the
    valid ones."""
    if raw is None:
        return None
    available = list(available)
    wanted = [name.strip() for name in raw.split(",") if name.strip()]
    if not wanted:
        raise ValidationError(
            {FIELDS_PARAM: [f"No field named: choose from {', '.join(available)}."]}
        )
    unknown = sorted(set(wanted) - set(available))
    if unknown:
        raise ValidationError(
            {
                FIELDS_PARAM: [
                    f"Unknown field(s): {', '.join(unknown)}. Choose from: {', '.join(available)}."
                ]
            }
        )
    return [name for name in available if name in wanted]


class SelectableFieldsSerializer(serializers.Serializer):
    """A serializer that drops the fields a view's `?fields=` leaves out.

    Only the outermost row serializer trims (nested ones keep their shape); the view puts the
    validated selection into the serializer context as `selected_fields`.
    """

    def get_fields(self) -> dict:
        fields = super().get_fields()
        selected = self.selected_names()
        if selected is None:
            return fields
        return {name: field for name, field in fields.items() if name in selected}

    def selected_names(self) -> list[str] | None:
        """The fields `?fields=` kept, if this is the outermost row serializer; else None."""
        selected = self.context.get("selected_fields")
        if selected is None:
            return None
        root = self.parent is None or (
            isinstance(self.parent, serializers.ListSerializer) and self.parent.parent is None
        )
        return selected if root else None


class FieldSelectionMixin:
    """View mixin: validate `?fields=` against the read serializer and pass it on."""

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        # Validated for every GET, so an export (`format=bibtex`), which never builds the
        # read serializer, refuses a bad `fields` like a JSON answer does.
        self.selected_fields()

    def selected_fields(self) -> list[str] | None:
        request = getattr(self, "request", None)
        if request is None or request.method != "GET":
            return None
        cached: list[str] | bool | None = getattr(self, "_selected_fields", False)
        if cached is not False:
            return cached  # type: ignore[return-value]  # False is the "not yet" marker
        raw = request.query_params.get(FIELDS_PARAM)
        if raw is None:
            self._selected_fields = None
            return None
        serializer_class = self.get_serializer_class()  # type: ignore[attr-defined]
        self._selected_fields = parse_fields(raw, serializer_class().fields.keys())
        return self._selected_fields

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()  # type: ignore[misc]
        context["selected_fields"] = self.selected_fields()
        return context


@extend_schema_field(OpenApiTypes.URI)
class LinkField(serializers.Field):
    """A row's API URL from one reversed URL per view name and request.

    `reverse()` for each row of a 200-row page (and each author and placement in it) costs
    more than the rest of the row; the URL is the same but for the key, so it is reversed
    once and the key is put in.
    """

    def __init__(self, view_name: str, lookup_field: str = "pk", **kwargs: Any) -> None:
        self.view_name = view_name
        self.lookup_field = lookup_field
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, value: object) -> str:
        return self._template()(getattr(value, self.lookup_field))

    def row_reader(self, name: str, serializer: serializers.Serializer) -> Callable[[Any], str]:
        """The link of a row, for `apps.core.api.rows.FastRowSerializer`."""
        kwarg = "slug" if self.lookup_field == "slug" else "pk"
        url = UrlTemplate(self.view_name, serializer.context.get("request"), kwarg)
        lookup = attrgetter(self.lookup_field)
        return lambda row: url(lookup(row))

    def _template(self) -> UrlTemplate:
        templates = cast(dict, self.context).setdefault("_url_templates", {})
        template = templates.get(self.view_name)
        if template is None:
            kwarg = "slug" if self.lookup_field == "slug" else "pk"
            template = UrlTemplate(self.view_name, self.context.get("request"), kwarg)
            templates[self.view_name] = template
        return template


class ReadWriteSerializersMixin:
    """Reads answer with `serializer_class`; creates and edits take `write_serializer_class`.

    The write serializer is also what OPTIONS and the browsable API's forms describe; answers
    to writes use `read_serializer` (the same shape as a read).
    """

    write_serializer_class: type[serializers.Serializer] | None = None
    _WRITE_FORMS = frozenset({"create", "update", "partial_update", "metadata", "list", "retrieve"})

    def get_serializer_class(self) -> type[serializers.Serializer]:
        request = getattr(self, "request", None)
        if (
            self.write_serializer_class is not None
            and request is not None
            and request.method in ("POST", "PUT", "PATCH")
            and getattr(self, "action", None) in self._WRITE_FORMS
        ):
            return self.write_serializer_class
        return super().get_serializer_class()  # type: ignore[misc]

    def read_serializer(self, *args: object, **kwargs: object) -> serializers.Serializer:
        kwargs.setdefault("context", self.get_serializer_context())  # type: ignore[attr-defined]
        # The class's own: an extra action (accept, reject) sets its input serializer on the
        # instance.
        return type(self).serializer_class(*args, **kwargs)  # type: ignore[attr-defined]
