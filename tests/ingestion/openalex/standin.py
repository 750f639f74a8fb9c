"""A real HTTP server on 127.0.0.1 standing in for the OpenAlex works API.

It serves `/works?filter=doi:A|B…` list pages (cursor paging, `select`, `per_page`, results
*not* in the order asked, and — as OpenAlex does — a `next_cursor` on the last full page that
leads to an empty page), and single works at `/works/W…` or `/works/doi:…` (an unknown one
answers 404 with a small HTML page). A bad filter or `select` answers 400 with OpenAlex's JSON
error. Tests script misbehaviour with `script` (a status with a body, before the normal
answers) and read `requests` to check batching and paging.
"""

import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from tests.ingestion.standin import Request, Scripted

SELECTABLE = {
    "id",
    "doi",
    "title",
    "display_name",
    "publication_date",
    "publication_year",
    "primary_location",
    "open_access",
    "best_oa_location",
    "cited_by_count",
    "referenced_works",
    "referenced_works_count",
    "updated_date",
    "authorships",
    "abstract_inverted_index",
}
NOT_FOUND_HTML = (
    b"<!doctype html><html><head><title>404 Not Found</title></head>"
    b"<body><h1>Not Found</h1><p>The requested URL was not found on the server.</p></body></html>"
)
DATE_HEADER = "Wed, 02 Dec 2026 09:00:00 GMT"


def work(
    number: int,
    *,
    doi: str | None = None,
    title: str | None = "A work",
    cited_by: int = 0,
    references: list[int] | None = None,
    venue: str | None = None,
    venue_type: str = "journal",
    oa_url: str | None = None,
    pdf_url: str | None = None,
    publication_date: str | None = "2024-01-02",
) -> dict:
    """A work in the shape OpenAlex writes it (URL-form id and DOI; nested, nullable parts)."""
    return {
        "id": f"https://openalex.org/W{number}",
        "doi": f"https://doi.org/{doi.lower()}" if doi else None,
        "title": title,
        "display_name": title,
        "publication_date": publication_date,
        "publication_year": int(publication_date[:4]) if publication_date else None,
        "primary_location": {
            "is_oa": bool(oa_url),
            "landing_page_url": f"https://doi.org/{doi}" if doi else None,
            "source": (
                {"id": "https://openalex.org/S1", "display_name": venue, "type": venue_type}
                if venue
                else None
            ),
        },
        "open_access": {"is_oa": bool(oa_url), "oa_status": "green", "oa_url": oa_url},
        "best_oa_location": ({"pdf_url": pdf_url, "landing_page_url": None} if pdf_url else None),
        "cited_by_count": cited_by,
        "referenced_works": [f"https://openalex.org/W{n}" for n in references or []],
        "referenced_works_count": len(references or []),
        "abstract_inverted_index": None,
        "authorships": [],
        "updated_date": "2026-11-30T04:12:33.123456",
    }


def list_page(results: list[dict], *, count: int | None = None, next_cursor: str | None) -> dict:
    return {
        "meta": {
            "count": len(results) if count is None else count,
            "db_response_time_ms": 12,
            "page": None,
            "per_page": 25,
            "next_cursor": next_cursor,
        },
        "results": results,
        "group_by": [],
    }


class OpenAlexStandin:
    """The stand-in's state: works, scripted answers, and the request log."""

    def __init__(self) -> None:
        self.works: list[dict] = []
        self.script: deque[Scripted] = deque()
        self.down_after: int | None = None  # list requests answered before an outage (503s)
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "OpenAlexStandin":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def lookups(self) -> list[Request]:
        """Requests for list pages of works."""
        return [r for r in self.requests if r.path == "/works"]

    # --- answers ---------------------------------------------------------------------------

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes, str]:
        if path == "/works":
            if self.down_after is not None and len(self.lookups()) > self.down_after:
                return 503, b"<html>Service Temporarily Unavailable</html>", "text/html"
            return self._list(params)
        if path.startswith("/works/"):
            return self._single(unquote(path.removeprefix("/works/")))
        return 404, NOT_FOUND_HTML, "text/html"

    @staticmethod
    def _error(error: str, message: str) -> tuple[int, bytes, str]:
        return 400, json.dumps({"error": error, "message": message}).encode(), "application/json"

    def _select(self, item: dict, params: dict[str, str]) -> dict:
        if not params.get("select"):
            return item
        return {k: v for k, v in item.items() if k in params["select"].split(",")}

    def _list(self, params: dict[str, str]) -> tuple[int, bytes, str]:
        selected = [f for f in params.get("select", "").split(",") if f]
        bad = [f for f in selected if f not in SELECTABLE]
        if bad:
            return self._error(
                "Invalid query parameters error.", f"{bad[0]} is not a valid select field."
            )
        per_page = int(params.get("per_page", 25))
        if not 1 <= per_page <= 200:
            return self._error("Invalid query parameters error.", "per_page is between 1 and 200")
        wanted = params.get("filter", "")
        if not wanted.startswith("doi:"):
            return self._error("Invalid query parameters error.", f"unknown filter {wanted!r}")
        values = wanted.removeprefix("doi:").split("|")
        if len(values) > 100:
            return self._error("Invalid query parameters error.", "Maximum of 100 OR values.")
        asked = {v.lower().removeprefix("https://doi.org/") for v in values}
        found = [
            w
            for w in self.works
            if w.get("doi") and w["doi"].removeprefix("https://doi.org/") in asked
        ]
        # OpenAlex does not answer in the order asked: most cited first, here.
        found.sort(key=lambda w: (-(w.get("cited_by_count") or 0), w["id"]))
        cursor = params.get("cursor", "*")
        offset = 0 if cursor == "*" else int(cursor.removeprefix("c-"))
        page = found[offset : offset + per_page]
        # A next cursor whenever the page has results, even the last (the next is empty).
        next_cursor = f"c-{offset + per_page}" if page else None
        body = list_page(
            [self._select(w, params) for w in page], count=len(found), next_cursor=next_cursor
        )
        return 200, json.dumps(body).encode(), "application/json"

    def _single(self, key: str) -> tuple[int, bytes, str]:
        for item in self.works:
            doi = (item.get("doi") or "").removeprefix("https://doi.org/")
            if item["id"].endswith(f"/{key}") or (
                key.lower().startswith("doi:") and doi == key[4:].lower()
            ):
                return 200, json.dumps(item).encode(), "application/json"
        return 404, NOT_FOUND_HTML, "text/html; charset=utf-8"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                record = Request(parts.path, params, time.monotonic())
                with standin.lock:
                    standin.requests.append(record)
                    scripted = standin.script.popleft() if standin.script else None
                if scripted is not None:
                    status, body, headers = scripted.status, scripted.body, scripted.headers
                    content_type = headers.pop("Content-Type", "text/html")
                    if scripted.delay:
                        time.sleep(scripted.delay)
                else:
                    status, body, content_type = standin.answer(parts.path, params)
                    headers = {}
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                record.ended = time.monotonic()

            def date_time_string(self, timestamp: float | None = None) -> str:
                return DATE_HEADER  # send_response writes a Date too; both say the same day

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
