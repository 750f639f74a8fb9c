"""Refuse, before anything reads them, request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE and
requests carrying a NUL character."""

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParser, MultiPartParserError
from django.shortcuts import render

logger = logging.getLogger(__name__)


class RequestBodyLimitMiddleware:
    """Answer 413, naming the limit, when the declared Content-Length is over
    DATA_UPLOAD_MAX_MEMORY_SIZE.

    Django caps only the form fields it parses (as a bare 400) and lets file parts through to
    a temporary file; this check refuses the whole body at once, files included, before CSRF
    or any view reads it. The BibTeX cap (BIBTEX_MAX_BYTES) sits below it and answers with its
    own message. A body sent without a length (chunked) still meets Django's field cap.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if limit is None or declared <= limit:
            return self.get_response(request)
        message = (
            f"The request body is {declared} bytes; the limit is {limit} bytes "
            "(DATA_UPLOAD_MAX_MEMORY_SIZE)."
        )
        logger.warning("Request body too large (%s bytes): %s", declared, request.path)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message}, status=413)
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")


NUL = "\x00"
JSON_NUL_ESCAPES = (b"\\u0000", b"\\U0000")  # JSON spells NUL as \u0000 (hex in any case)


class NulCharacterMiddleware:
    """Answer 400 when the path, a query parameter, a header or a field of the body holds a
    NUL character (U+0000).

    PostgreSQL refuses NUL in text, so a NUL that reaches a query (a filter, a slug, a
    relation, a session key) is a 500 there; no field or filter of sellm has a use for one.
    Checking here, once, covers every route — API, admin, HTML pages — instead of each field
    that happens to look. File uploads are left to their importers (which call a NUL byte
    binary); everything else that is text is checked.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = nul_location(request)
        if found is None:
            return self.get_response(request)
        key, where = found
        message = f"The {where} contains a NUL character (U+0000), which sellm does not accept."
        logger.warning("NUL character refused in the %s: %s", where, request.path.replace(NUL, ""))
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": message, "errors": {key: [message]}}, status=400)
        return render(request, "400.html", {"message": message}, status=400)


Found = tuple[str, str]  # (the name an API error is keyed by, where in words)


def nul_location(request: HttpRequest) -> Found | None:
    """Where the request holds a NUL character — ("q", "query parameter `q`"), ("challenge",
    "field `challenge`"), ("path", "path"), … — or None when it holds none."""
    if NUL in request.path_info:
        return "path", "path"
    for name, values in request.GET.lists():
        if NUL in name or any(NUL in value for value in values):
            clean = name.replace(NUL, "")[:100]
            return clean, f"query parameter `{clean}`"
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and NUL in value:
            header = key.removeprefix("HTTP_").replace("_", "-").title()
            return header, f"header `{header}`"
    return _body_nul_location(request)


BODY: Found = ("body", "request body")


def _body_nul_location(request: HttpRequest) -> Found | None:
    if request.method not in ("POST", "PUT", "PATCH", "DELETE"):
        return None  # the others carry no body a view reads (they answer 405 or ignore it)
    content_type = request.content_type or ""
    if content_type == "multipart/form-data":
        if request.method == "POST":  # Django parses the fields (not the files) of a POST
            return _pairs_nul_location(request.POST.lists())
        try:  # the fields of a PUT or PATCH; files may hold NUL bytes, so they are skipped
            fields, _ = MultiPartParser(
                request.META, io.BytesIO(request.body), request.upload_handlers, request.encoding
            ).parse()
        except MultiPartParserError:
            return None  # the view answers a parse error
        return _pairs_nul_location(fields.lists())
    if content_type == "application/x-www-form-urlencoded":
        if b"\x00" in request.body:
            return BODY
        return _pairs_nul_location(QueryDict(request.body, encoding=request.encoding).lists())
    if content_type == "application/json" or content_type.endswith("+json"):
        body = request.body
        if b"\x00" in body:
            return BODY
        if not any(escape in body for escape in JSON_NUL_ESCAPES):
            return None  # the common case: no parsing here
        try:
            data = json.loads(body)
        except ValueError:
            return None  # the view answers a parse error
        return _json_nul_location(data, "")
    return None


def _pairs_nul_location(pairs: Iterable[tuple[str, list]]) -> Found | None:
    for name, values in pairs:
        if NUL in name or any(isinstance(v, str) and NUL in v for v in values):
            clean = name.replace(NUL, "")[:100]
            return clean, f"field `{clean}`"
    return None


def _json_nul_location(data: Any, path: str) -> Found | None:
    if isinstance(data, str):
        return ((path or "body"), f"field `{path or '(body)'}`") if NUL in data else None
    if isinstance(data, dict):
        for key, value in data.items():
            inner = (f"{path}.{key}" if path else str(key))[:100]
            if NUL in key:
                clean = inner.replace(NUL, "")
                return clean, f"field name `{clean}`"
            found = _json_nul_location(value, inner)
            if found:
                return found
    if isinstance(data, list):
        for index, value in enumerate(data):
            found = _json_nul_location(value, f"{path}[{index}]")
            if found:
                return found
    return None
