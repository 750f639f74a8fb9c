"""Refuse request bodies over DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads them."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

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
