"""The OpenAPI schema class: drf-spectacular's, plus what every endpoint shares and
drf-spectacular leaves out — the `?fields=` parameter and every error answer."""

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import status

from apps.core.api.exceptions import ErrorSerializer
from apps.core.api.fields import FIELDS_PARAM, FieldSelectionMixin

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
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "The request body is not JSON or form data.",
    status.HTTP_429_TOO_MANY_REQUESTS: "Throttled: wait the seconds in Retry-After.",
}
WRITE_ONLY_ERRORS = {status.HTTP_409_CONFLICT, status.HTTP_415_UNSUPPORTED_MEDIA_TYPE}


class SellmAutoSchema(AutoSchema):
    """Adds `fields` to reads of views that support it and documents every error status."""

    def get_filter_backends(self) -> list:
        # A view that filters without being a list (stats) opts in with `filters_in_schema`.
        if getattr(self.view, "filters_in_schema", False) and self.method == "GET":
            return list(getattr(self.view, "filter_backends", []))
        return super().get_filter_backends()

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if isinstance(self.view, FieldSelectionMixin) and self.method == "GET":
            names = ", ".join(self.view.get_serializer_class()().fields)  # type: ignore[attr-defined]
            parameters.append(
                OpenApiParameter(
                    name=FIELDS_PARAM,
                    type=str,
                    location=OpenApiParameter.QUERY,
                    required=False,
                    description="Comma-separated fields to answer with (top level of each "
                    f"row); the others are left out. Available: {names}.",
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
        error = self.resolve_serializer(ErrorSerializer, "response")
        responses = operation.setdefault("responses", {})
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
