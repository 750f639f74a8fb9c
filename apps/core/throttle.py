"""Throttling of the HTML pages' expensive requests: a full-text search on the paper list
costs what the API's search costs, and a new query always misses the page cache, so it gets
the same kind of rate (HTML_THROTTLE_SEARCH) and a page that says when to try again."""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from rest_framework.throttling import SimpleRateThrottle

from apps.core.http import client_ip


class HtmlSearchThrottle(SimpleRateThrottle):
    """Searches per signed-in user, or per client address, counted in the shared cache."""

    scope = "html_search"
    cache_format = "sellm:throttle:%(scope)s:%(ident)s"

    def get_rate(self) -> str | None:
        return settings.HTML_THROTTLE_SEARCH or None

    def get_cache_key(self, request: HttpRequest, view: object) -> str:  # type: ignore[override]
        user = getattr(request, "user", None)
        ident = (
            f"user-{user.pk}" if user is not None and user.is_authenticated else client_ip(request)
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}


def search_throttled(request: HttpRequest) -> HttpResponse | None:
    """The friendly 429 page when this client searched too often, else None (and the search
    is counted)."""
    throttle = HtmlSearchThrottle()
    if throttle.rate is None or throttle.allow_request(request, None):  # type: ignore[arg-type]
        return None
    wait = max(1, math.ceil(throttle.wait() or 1))
    response = render(request, "429.html", {"wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response
