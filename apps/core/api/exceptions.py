"""Every API error is JSON of one shape: `{"detail": "…", "errors": {field: [messages]}}`.

`detail` is one readable sentence (for a bad filter it names the parameter and what is wrong
with it); `errors`, present for invalid input, maps each parameter or field to its messages.
Errors the domain raises (`ApplicationError`, Django's `ValidationError`, a protected delete)
become 4xx answers here instead of 500s.
"""

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.exceptions import ApplicationError

logger = logging.getLogger(__name__)


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (used by the OpenAPI schema)."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.DictField(  # type: ignore[assignment]  # a field named like Serializer.errors
        required=False,
        help_text="Invalid parameters or fields, each with its messages.",
    )


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the knowledge base."
    default_code = "conflict"


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, after translating domain errors and before reshaping the body."""
    exc = _translate(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    response.data = _reshape(response.data)
    return response


def _translate(exc: Exception) -> Exception:
    if isinstance(exc, ApplicationError):
        code = getattr(exc, "status_code", status.HTTP_400_BAD_REQUEST)
        if code == status.HTTP_409_CONFLICT:
            return Conflict(exc.message)
        return exceptions.ValidationError({"detail": exc.message, **exc.extra})
    if isinstance(exc, ProtectedError | RestrictedError):
        return Conflict(f"Still in use, so it cannot be deleted: {exc.args[0]}")
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            errors = dict(exc.message_dict)
            if NON_FIELD_ERRORS in errors:
                errors["non_field_errors"] = errors.pop(NON_FIELD_ERRORS)
            return exceptions.ValidationError(errors)
        return exceptions.ValidationError({"non_field_errors": exc.messages})
    return exc


def _reshape(data: Any) -> dict:
    if isinstance(data, dict) and set(data) == {"detail"} and isinstance(data["detail"], str):
        return {"detail": str(data["detail"])}
    if isinstance(data, list):
        data = {"non_field_errors": data}
    if not isinstance(data, dict):
        return {"detail": str(data)}
    detail = data.pop("detail", None)
    if isinstance(detail, list | tuple):
        detail = " ".join(str(item) for item in detail)
    errors = {key: _messages(value) for key, value in data.items()}
    if detail is None:
        detail = "Invalid input: " + "; ".join(
            f"{key}: {' '.join(_flat(value))}" if key != "non_field_errors" else " ".join(value)
            for key, value in errors.items()
        )
    body: dict[str, Any] = {"detail": str(detail)}
    if errors:
        body["errors"] = errors
    return body


def _messages(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): _messages(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_messages(item) if isinstance(item, dict | list) else str(item) for item in value]
    return [str(value)]


def _flat(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [f"{key}: {m}" for key, item in value.items() for m in _flat(item)]
    if isinstance(value, list):
        return [m for item in value for m in _flat(item)]
    return [str(value)]
