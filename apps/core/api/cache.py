"""The anonymous answer cache of the API: what the page cache is to the HTML pages.

An anonymous JSON read (GET, 200) is stored in the shared cache for `API_CACHE_SECONDS` and
served from it until then, keyed by the full URL and the answer's media type. It is looked up
after authentication, permissions and throttling, so a cached answer still counts against the
client's rates; signed-in users and tokens (curators see what the public must not) never read
from it nor write to it; exports and the browsable API are never stored.
"""

import hashlib
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

CACHE_PREFIX = "sellm:api:"


class _Answered(Exception):
    """Raised from `initial` to answer from the cache (DRF's dispatch has no other exit)."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


class AnonymousAnswerCacheMixin:
    """Serve anonymous JSON reads from the shared cache (see the module docstring)."""

    def _answer_key(self, request: Request) -> str | None:
        seconds: int = settings.API_CACHE_SECONDS
        renderer = getattr(request, "accepted_renderer", None)
        if (
            seconds <= 0
            or request.method != "GET"
            or request.user.is_authenticated
            or type(renderer) is not JSONRenderer
        ):
            return None
        url = request.build_absolute_uri()
        return CACHE_PREFIX + hashlib.sha256(url.encode("utf-8")).hexdigest()

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        key = self._answer_key(request)
        cached = cache.get(key) if key else None
        if cached is not None:
            content, content_type = cached
            raise _Answered(HttpResponse(content, content_type=content_type))

    def handle_exception(self, exc: Exception) -> Any:
        if isinstance(exc, _Answered):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        key = self._answer_key(request) if isinstance(response, Response) else None
        if key and response.status_code == 200 and not response.exception:
            seconds = settings.API_CACHE_SECONDS

            def store(rendered: HttpResponse) -> None:
                cache.set(key, (rendered.content, rendered["Content-Type"]), seconds)

            response.add_post_render_callback(store)
        return response
