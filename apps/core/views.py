"""Pieces every HTML page shares: the anonymous page cache, the 404 page, the about page."""

import functools
import hashlib
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import Resolver404
from django.utils.cache import (
    get_conditional_response,
    patch_cache_control,
    patch_vary_headers,
    set_response_etag,
)
from django.utils.http import http_date, parse_http_date_safe
from django.views import defaults

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponseBase]
CACHE_PREFIX = "sellm:page:"


def _cache_key(request: HttpRequest) -> str:
    # Host and full query string: /papers/?q=a and /papers/?q=b are different pages.
    url = request.build_absolute_uri()
    return CACHE_PREFIX + hashlib.sha256(url.encode("utf-8")).hexdigest()


def public_page(view: View) -> View:
    """Answer GET and HEAD only (405 otherwise: public pages never write), and cache a page for
    anonymous readers; never for a signed-in user.

    Anonymous GET/HEAD responses with status 200 are stored in the cache framework for
    `PAGE_CACHE_SECONDS` (shared by all web processes when the cache is Redis), carry an ETag
    and Last-Modified for conditional requests (304), and say `Cache-Control: public` with
    `Vary: Cookie`, so a browser or proxy never hands an anonymous copy to a signed-in
    curator. A signed-in user's request skips the cache in both directions and is answered
    `private, no-store`: curators see papers and placements the public must not.
    """

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            logger.warning("Method Not Allowed (%s): %s", request.method, request.path)
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.user.is_authenticated:
            response = view(request, *args, **kwargs)
            patch_cache_control(response, private=True, no_store=True)
            patch_vary_headers(response, ["Cookie"])
            return response

        seconds: int = settings.PAGE_CACHE_SECONDS
        key = _cache_key(request)
        cached: HttpResponse | None = cache.get(key) if seconds > 0 else None
        if cached is None:
            response = view(request, *args, **kwargs)
            if response.status_code != 200 or response.streaming or response.cookies:
                return response
            if not response.has_header("ETag"):
                set_response_etag(response)
            if not response.has_header("Last-Modified"):  # feeds date themselves by entry
                response["Last-Modified"] = http_date()
            patch_cache_control(response, public=True, max_age=seconds)
            patch_vary_headers(response, ["Cookie"])
            if seconds > 0:
                cache.set(key, response, seconds)
        else:
            response = cached
        return (
            get_conditional_response(
                request,
                etag=response.get("ETag"),
                last_modified=parse_http_date_safe(response["Last-Modified"]),
                response=response,  # type: ignore[arg-type]
            )
            or response
        )

    return wrapped


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 400 answer to a request Django itself refused (too many fields, a malformed
    multipart body, a bad host): JSON under /api/, as every API error; a page elsewhere.
    The request's own text is never echoed."""
    message = "The request could not be read (malformed, or over a size or field limit)."
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=400)
    return render(request, "400.html", {"message": message}, status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 403 answer outside DRF: JSON under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "You may not do this."}, status=403)
    return defaults.permission_denied(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 answer: JSON under /api/, the 500 page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Something went wrong on our side; it has been logged."}, status=500
        )
    return defaults.server_error(request)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 page: what was not found, and the ways back in (phases, search, papers)."""
    from apps.taxonomy.models import Phase  # core stays below taxonomy in the domain layers

    message = ""
    if not isinstance(exception, Resolver404) and exception.args:
        argument = exception.args[0]
        message = argument if isinstance(argument, str) else ""
    context = {
        "message": message,
        "request_path": request.path,
        "phases": Phase.objects.order_by("order").only("slug", "name"),
    }
    return render(request, "404.html", context, status=404)


@public_page
def about(request: HttpRequest) -> HttpResponse:
    """What sellm is, the survey it follows, and how to cite a listing."""
    return render(request, "core/about.html")
