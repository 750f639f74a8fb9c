"""Content negotiation that names the formats on offer when a `?format=` is unknown."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation

if TYPE_CHECKING:
    from rest_framework.request import Request


class FormatNegotiation(DefaultContentNegotiation):
    """DRF's negotiation; an unknown `format` is a 404 that lists the known ones, an empty one
    a 400."""

    def select_renderer(  # type: ignore[override]  # the renderers arrive as a list
        self, request: Request, renderers: list, format_suffix: str | None = None
    ) -> tuple:
        view = request.parser_context.get("view")
        method = (request.method or "").lower()
        if view is not None and not hasattr(view, method):
            # The answer is a 405 whatever the format asked for: say it in the default one.
            return renderers[0], renderers[0].media_type
        if "format" in request.query_params and not request.query_params["format"].strip():
            known = ", ".join(r.format for r in renderers if getattr(r, "format", None))
            raise ValidationError(
                {"format": [f"The value is empty: give one of {known}, or leave it out."]}
            )
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:
            known = ", ".join(r.format for r in renderers if getattr(r, "format", None))
            raise NotFound(
                f"Unknown format {request.query_params.get('format', format_suffix)!r}; "
                f"this endpoint answers in: {known}."
            ) from None
