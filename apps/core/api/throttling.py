"""Request rates per client, counted in the shared cache (Redis in production, via CACHE_URL,
so every web process counts together).

DRF's own throttles read their rates once, at import; these read them per request, so the
rates always follow the settings (and tests can change them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

if TYPE_CHECKING:
    from rest_framework.views import APIView

SEARCH = "search"
EXPORT = "export"


class _CurrentRates:
    scope: str | None

    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate is not None else None


class AnonThrottle(_CurrentRates, AnonRateThrottle):
    """Anonymous clients, by address (`anon` rate)."""


class UserThrottle(_CurrentRates, UserRateThrottle):
    """Signed-in clients by user, others by address (`user` rate)."""


class SearchExportThrottle(_CurrentRates, SimpleRateThrottle):
    """A stricter rate for the expensive requests: exports (BibTeX, CSL-JSON) use the `export`
    rate, full-text searches (a non-empty `q` on a view that names it in
    `throttle_search_params`) the `search` rate. Other requests pass."""

    def __init__(self) -> None:  # the rate depends on the request, see allow_request
        pass

    def allow_request(self, request: Request, view: APIView) -> bool:
        scope = self.scope_for(request, view)
        if scope is None:
            return True
        self.scope = scope
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    @staticmethod
    def scope_for(request: Request, view: APIView) -> str | None:
        if getattr(getattr(request, "accepted_renderer", None), "is_export", False):
            return EXPORT
        params = getattr(view, "throttle_search_params", ())
        if any(request.query_params.get(name, "").strip() for name in params):
            return SEARCH
        return None

    def get_cache_key(self, request: Request, view: APIView) -> str:
        user = request.user
        ident = user.pk if user and user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
