"""The OpenAPI schema class: drf-spectacular's, plus what every endpoint shares and
drf-spectacular leaves out — the `?fields=` parameter and every error answer."""

from typing import Any

from django import forms
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS

from apps.core.api.exceptions import ErrorSerializer
from apps.core.api.fields import FIELDS_PARAM, FieldSelectionMixin
from apps.core.api.permissions import IsCuratorOrReadOnly
from apps.core.api.strict import StrictFilterBackend

ERRORS = {
    status.HTTP_400_BAD_REQUEST: "Invalid parameters or body; `errors` names each one.",
    status.HTTP_401_UNAUTHORIZED: "Missing or invalid credentials (an unknown token, or a "
    "write without any).",
    status.HTTP_403_FORBIDDEN: "Signed in, but not allowed (writes and ingestion are for "
    "curators).",
    status.HTTP_404_NOT_FOUND: "No such object (or it is not visible to you), page, or format.",
    status.HTTP_405_METHOD_NOT_ALLOWED: "The endpoint does not take this method.",
    status.HTTP_406_NOT_ACCEPTABLE: "None of the formats in the Accept header is available.",
    status.HTTP_409_CONFLICT: "The change conflicts with stored data (e.g. deleting a taxonomy "
    "item still in use).",
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: "The request body is over "
    "DATA_UPLOAD_MAX_MEMORY_SIZE (see docs/limits.md).",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "The request body is not JSON or form data.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Throttled: wait the seconds in Retry-After.",
}
WRITE_ONLY_ERRORS = {
    status.HTTP_409_CONFLICT,
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
}
# Answered by the HTTP server in front of Django (gunicorn: a request line over 4,094 bytes),
# so not in the API's JSON shape.
URI_TOO_LONG = {
    "description": "The URL is too long for the server (a request line over 4,094 bytes); "
    "send fewer or shorter parameters."
}
# A filter value must hold something: `?status=` is a 400 (StrictFilterBackend).
NOT_BLANK = {"minLength": 1, "pattern": r"\S"}


class SellmAutoSchema(AutoSchema):
    """Adds `fields` to reads of views that support it and documents every error status."""

    def get_auth(self) -> list:
        """Token or session, and for reads of the public knowledge base also nobody (`{}`)."""
        auths = list(super().get_auth())
        permissions = self.view.get_permissions()
        anonymous_reads = any(isinstance(p, IsCuratorOrReadOnly) for p in permissions)
        if anonymous_reads and self.method in SAFE_METHODS and {} not in auths:
            auths.append({})
        return auths

    def get_filter_backends(self) -> list:
        # A view that filters without being a list (stats) opts in with `filters_in_schema`.
        if getattr(self.view, "filters_in_schema", False) and self.method == "GET":
            return list(getattr(self.view, "filter_backends", []))
        return super().get_filter_backends()

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, FieldSelectionMixin) and self.method == "GET":
            names = list(self.view.get_serializer_class()().fields)  # type: ignore[attr-defined]
            parameters.append(
                OpenApiParameter(
                    name=FIELDS_PARAM,
                    type={"type": "array", "items": {"type": "string", "enum": names}},
                    location=OpenApiParameter.QUERY,
                    required=False,
                    style="form",
                    explode=False,
                    description="Comma-separated fields to answer with (top level of each "
                    f"row); the others are left out. Available: {', '.join(names)}. An unknown "
                    "name is a 400.",
                )
            )
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):  # type: ignore[no-untyped-def]
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        exports = getattr(self.view, "export_response_schemas", None)
        if exports and method == "GET" and "200" in operation.get("responses", {}):
            # Export formats are streamed as they are, never paged like the JSON answer.
            content = operation["responses"]["200"].setdefault("content", {})
            for media_type, schema in exports.items():
                content[media_type] = {"schema": schema}
        if method == "GET":
            self._describe_filters(operation.get("parameters", []))
        error = self.resolve_serializer(ErrorSerializer, "response")
        responses = operation.setdefault("responses", {})
        responses.setdefault("414", URI_TOO_LONG)
        for code, description in ERRORS.items():
            if code in WRITE_ONLY_ERRORS and method in ("GET", "HEAD"):
                continue
            responses.setdefault(
                str(code),
                {
                    "content": {"application/json": {"schema": error.ref}},
                    "description": description,
                },
            )
        return operation

    def _describe_filters(self, parameters: list[dict[str, Any]]) -> None:
        """What django-filter's schema leaves out: a filter's bounds and lengths, and that its
        value may not be blank."""
        filterset = getattr(self.view, "filterset_class", None)
        filters = getattr(filterset, "base_filters", {})
        for parameter in parameters:
            name = parameter["name"]
            if parameter["in"] != "query" or name not in filters:
                continue
            schema = parameter["schema"]
            target = schema["items"] if schema.get("type") == "array" else schema
            extra = filters[name].extra
            if target.get("type") == "string" and "enum" not in target:
                if name not in StrictFilterBackend.BLANK_ALLOWED:
                    target.update(NOT_BLANK)
                if extra.get("max_length"):
                    target["maxLength"] = extra["max_length"]
            if target.get("type") == "number" and filters[name].field_class is forms.IntegerField:
                target["type"] = "integer"
            if target.get("type") in ("integer", "number"):
                if extra.get("min_value") is not None:
                    target["minimum"] = extra["min_value"]
                if extra.get("max_value") is not None:
                    target["maximum"] = extra["max_value"]


# Bodies that need exactly one of two fields (the serializers' validate() says so too).
ONE_OF_REQUIRED = {
    "IngestRequestRequest": ("arxiv_ids", "query"),
    "BibtexImportRequestRequest": ("file", "text"),
}


def describe_bodies(result: dict, generator: object, **kwargs: object) -> dict:
    """What drf-spectacular cannot infer about bodies.

    Request bodies take no fields but the ones they list (RefuseUnknownFieldsMixin answers
    400 naming the others): `additionalProperties: false`; some need exactly one of two
    fields. Answers of views with `?fields=` may leave any field out, so none is required.
    """
    schemas = result.get("components", {}).get("schemas", {})
    for name, component in schemas.items():
        if name.endswith("Request") and component.get("type") == "object":
            component.setdefault("additionalProperties", False)
        if name in ONE_OF_REQUIRED:
            component["oneOf"] = [{"required": [field]} for field in ONE_OF_REQUIRED[name]]
    for name in _selectable_components():
        if name in schemas:
            schemas[name].pop("required", None)
    return result


def _selectable_components() -> set[str]:
    """Component names of the serializers `?fields=` trims (drf-spectacular's naming)."""
    from apps.core.api.fields import SelectableFieldsSerializer

    names, stack = set(), list(SelectableFieldsSerializer.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.add(cls.__name__.removesuffix("Serializer"))
    return names
