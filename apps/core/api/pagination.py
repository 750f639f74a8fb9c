"""Paging for every list endpoint: numbered pages, or a cursor for full scans.

`?page=N&page_size=M` pages through the list in its chosen order (default 25 rows, at most
200). `?cursor=*` starts a full scan instead (as OpenAlex does): rows come in id order, and
each page's `next` carries an opaque cursor that continues right after the page's last row,
so rows added or removed during the scan never shift a page (no row is seen twice, none is
skipped). Both answer `{"count", "next", "previous", "results"}`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from django.core.paginator import InvalidPage, Paginator
from django.db.models import QuerySet
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

if TYPE_CHECKING:
    from rest_framework.views import APIView

START = "*"


class PageOrCursorPagination(BasePagination):
    """Numbered pages (`page`, `page_size`) or keyset cursor pages (`cursor=*`)."""

    page_size = 25
    max_page_size = 200
    page_query_param = "page"
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"
    # A list may count and page its own way (the paper search estimates large totals).
    paginator_class: type[Paginator] = Paginator

    def paginate_queryset(  # type: ignore[override]  # lists page querysets only
        self, queryset: QuerySet, request: Request, view: APIView | None = None
    ) -> list:
        self.request = request
        self.size = self._page_size(request)
        cursor = self._checked_cursor(request)
        if cursor is not None:
            return self._cursor_page(queryset, cursor)
        return self._numbered_page(queryset, request)

    def check_parameters(self, request: Request) -> None:
        """Refuse bad paging parameters without paging: an export takes every row, yet a
        request the schema calls invalid (`page=0`, `page_size=1000`) is still a 400."""
        self._page_size(request)
        cursor = self._checked_cursor(request)
        if cursor is None:
            self._page_number(request)
        else:
            self._decode(cursor)

    def _checked_cursor(self, request: Request) -> str | None:
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor is not None:
            if self.page_query_param in request.query_params:
                raise ValidationError(
                    {"cursor": ["Use either page or cursor, not both."]}, code="invalid"
                )
            if "ordering" in request.query_params:
                raise ValidationError(
                    {"cursor": ["Cursor paging walks rows in id order; leave out ordering."]},
                    code="invalid",
                )
        return cursor

    # --- numbered pages -----------------------------------------------------------------

    def _page_number(self, request: Request) -> int:
        raw = request.query_params.get(self.page_query_param, "1")
        try:
            number = int(raw)
        except ValueError:
            raise ValidationError({"page": ["A page number is a positive integer."]}) from None
        if number < 1:
            raise ValidationError({"page": ["A page number is a positive integer."]})
        return number

    def _numbered_page(self, queryset: QuerySet, request: Request) -> list:
        number = self._page_number(request)
        paginator = self.paginator_class(queryset, self.size)
        try:
            page = paginator.page(number)
        except InvalidPage:
            raise NotFound(
                f"Page {number} is past the last page ({paginator.num_pages})."
            ) from None
        self.count = paginator.count
        self.count_is_estimate = bool(getattr(paginator, "count_is_estimate", False))
        self._links(request, number, has_next=page.has_next())
        return list(page)

    def _links(self, request: Request, number: int, *, has_next: bool) -> None:
        url = request.build_absolute_uri()
        self.next = (
            replace_query_param(url, self.page_query_param, number + 1) if has_next else None
        )
        if number == 1:
            self.previous = None
        elif number == 2:
            self.previous = remove_query_param(url, self.page_query_param)
        else:
            self.previous = replace_query_param(url, self.page_query_param, number - 1)

    # --- cursor pages -------------------------------------------------------------------

    def _cursor_page(self, queryset: QuerySet, cursor: str) -> list:
        before, after = self._decode(cursor)
        queryset = queryset.order_by()  # keyset order replaces the list's own
        self.count = queryset.count()
        if before is not None:
            # Read backwards from the cursor, one row more than a page to see if more precede.
            rows = list(queryset.filter(pk__lt=before).order_by("-pk")[: self.size + 1])
            more_before = len(rows) > self.size
            rows = rows[: self.size][::-1]
            self.previous = self._link(before=rows[0].pk) if more_before and rows else None
            self.next = self._link(after=rows[-1].pk if rows else before - 1)
            return rows
        filtered = queryset if after is None else queryset.filter(pk__gt=after)
        rows = list(filtered.order_by("pk")[: self.size + 1])
        more_after = len(rows) > self.size
        rows = rows[: self.size]
        self.next = self._link(after=rows[-1].pk) if more_after else None
        self.previous = (
            self._link(before=rows[0].pk if rows else after + 1) if after is not None else None
        )
        return rows

    def _decode(self, cursor: str) -> tuple[int | None, int | None]:
        if cursor == START:
            return None, None
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
            before, after = data.get("b"), data.get("a")
            if [before is None, after is None].count(True) != 1:
                raise ValueError("one of before/after")
            for value in (before, after):
                if value is not None and (type(value) is not int or value < 0):
                    raise ValueError("position")
        except (ValueError, TypeError, AttributeError, binascii.Error, UnicodeError):
            raise ValidationError(
                {"cursor": ["Not a cursor: start a scan with cursor=* and follow `next`."]}
            ) from None
        return before, after

    def _link(self, *, before: int | None = None, after: int | None = None) -> str:
        data = {"b": before} if before is not None else {"a": after}
        token = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
        url = self.request.build_absolute_uri()
        url = remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, token)

    # --- shared -------------------------------------------------------------------------

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        f"page_size is a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def get_paginated_response(self, data: Any) -> Response:
        fields: list[tuple[str, object]] = [("count", self.count)]
        if getattr(self, "count_is_estimate", False):
            fields.append(("count_is_estimate", True))
        fields += [("next", self.next), ("previous", self.previous), ("results", data)]
        return Response(OrderedDict(fields))

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "description": "Rows matching the filters, over all pages (an estimate, "
                    "rounded, when `count_is_estimate` is present).",
                    "example": 123,
                },
                "count_is_estimate": {
                    "type": "boolean",
                    "description": "Present (true) only when `count` is an estimate: a search "
                    "matching many more than 5,000 papers is not counted exactly.",
                },
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page (or cursor page); null on the last one.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page; null on the first one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        return [
            {
                "name": self.page_query_param,
                "required": False,
                "in": "query",
                "description": "Page number (1-based). A page past the last one answers 404. "
                "Not combinable with `cursor` (400).",
                "schema": {"type": "integer", "minimum": 1},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page (default {self.page_size}, "
                f"at most {self.max_page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Cursor paging for full scans: `*` starts at the first row (in "
                "id order); follow `next` until it is null (its cursors are opaque). Not "
                "combinable with `page` or `ordering`: either together is a 400, and so is an "
                "empty `cursor=` or one that `next` did not give.",
                "schema": {"type": "string", "minLength": 1, "pattern": r"^(\*|[A-Za-z0-9_-]+)$"},
            },
        ]
