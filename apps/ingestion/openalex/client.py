"""The HTTP side of OpenAlex: polite, bounded, retrying JSON GETs.

Every request

- takes a slot from the cross-process politeness lock (`apps/ingestion/arxiv/politeness.py`,
  a second instance keyed for OpenAlex), so all workers together stay under OpenAlex's ten
  requests a second (`OPENALEX_MIN_INTERVAL`, 0.1 s);
- carries `mailto` (the "polite pool") and, when set, `api_key` as query parameters — the key
  never appears in logs or error messages;
- has a connect and read timeout, a deadline for the whole body and a size cap;
- retries HTTP 429 (honouring `Retry-After`, in seconds or as an HTTP date), 5xx, timeouts,
  connection errors and a body that is not JSON (a proxy's error page) with exponential
  backoff and jitter, then raises `OpenAlexUnavailableError`, which the run retries later.

OpenAlex reports a bad filter or `select` as HTTP 400 with JSON `{"error", "message"}`
(`OpenAlexResponseError` with its words), and an unknown single work as 404 with an HTML
page (`work()` returns None).
"""

import json
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode

import requests

from apps.ingestion.arxiv.politeness import FilePoliteness, Politeness, RedisPoliteness
from apps.ingestion.openalex.errors import (
    OpenAlexError,
    OpenAlexResponseError,
    OpenAlexUnavailableError,
)

logger = logging.getLogger(__name__)

USER_AGENT = "sellm/0.1 (knowledge base of SE for LLMs; metadata enrichment)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_DOIS = 50  # values in one `doi:` filter (OpenAlex allows 100; answers stay small)
MAX_PER_PAGE = 200
MAX_PAGES = 50  # of one look-up: a guard against a cursor that never ends
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
LOCK_NAME = "sellm:openalex:politeness"
# Top-level fields sellm reads (`select` keeps answers small; nested fields cannot be named).
SELECT = (
    "id,doi,display_name,publication_date,primary_location,open_access,best_oa_location,"
    "cited_by_count,referenced_works,updated_date"
)


@dataclass(slots=True)
class WorksAnswer:
    """Every work of a look-up (all its pages), and the date of the answer."""

    works: list[dict]
    as_of: date
    pages: int


class OpenAlexClient:
    """Polite, bounded, retrying access to the OpenAlex works API."""

    def __init__(
        self,
        *,
        api_url: str,
        politeness: Politeness,
        mailto: str = "",
        api_key: str = "",
        timeout: float = 30.0,
        retries: int = 4,
        backoff: float = 1.0,
        backoff_max: float = 120.0,
        per_page: int = MAX_DOIS,
        max_bytes: int = MAX_RESPONSE_BYTES,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.politeness = politeness
        self.mailto = mailto
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.per_page = min(max(per_page, 1), MAX_PER_PAGE)
        self.max_bytes = max_bytes
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT + (f" mailto:{mailto}" if mailto else "")
        self.session.headers["Accept"] = "application/json"
        self.sleep = sleep

    @classmethod
    def from_settings(cls) -> "OpenAlexClient":
        """A client configured by the OPENALEX_* settings."""
        from django.conf import settings

        return cls(
            api_url=settings.OPENALEX_API_URL,
            politeness=politeness_from_settings(),
            mailto=settings.OPENALEX_MAILTO,
            api_key=settings.OPENALEX_API_KEY,
            timeout=settings.OPENALEX_TIMEOUT,
            retries=settings.OPENALEX_RETRIES,
            backoff=settings.OPENALEX_RETRY_BACKOFF,
        )

    def close(self) -> None:
        self.session.close()

    # --- look-ups --------------------------------------------------------------------------

    def works_by_doi(self, dois: Sequence[str]) -> WorksAnswer:
        """Every work whose DOI is one of `dois` (at most MAX_DOIS), all pages followed by
        cursor. Results come in OpenAlex's order, not the order asked; a DOI OpenAlex does
        not know is simply absent. A DOI with `|` or `,` cannot be put in a filter: ValueError.
        """
        dois = list(dict.fromkeys(d.lower() for d in dois if d))
        if not dois:
            return WorksAnswer([], datetime.now(UTC).date(), 0)
        if len(dois) > MAX_DOIS:
            raise ValueError(f"at most {MAX_DOIS} DOIs in one look-up, not {len(dois)}")
        bad = [d for d in dois if "|" in d or "," in d]
        if bad:
            raise ValueError(f"DOIs that cannot go in a filter: {', '.join(bad)}")
        params = {
            "filter": "doi:" + "|".join(dois),
            "select": SELECT,
            "per_page": str(self.per_page),
            "cursor": "*",
        }
        works: list[dict] = []
        as_of: date | None = None
        for page in range(1, MAX_PAGES + 1):
            data, answered = self.get_json("/works", params)
            as_of = as_of or answered
            results = data.get("results") if data is not None else None
            if data is None or not isinstance(results, list):
                raise OpenAlexResponseError("a list answer without results")
            works += [item for item in results if isinstance(item, dict)]
            meta = data["meta"] if isinstance(data.get("meta"), dict) else {}
            count, cursor = meta.get("count"), meta.get("next_cursor")
            # next_cursor can be set on the last page (the page after it is empty): stop as
            # soon as everything counted has arrived.
            if not results or not cursor or (isinstance(count, int) and len(works) >= count):
                return WorksAnswer(works, as_of, page)
            params["cursor"] = str(cursor)
        raise OpenAlexResponseError(f"the look-up did not end after {MAX_PAGES} pages")

    def work(self, key: str) -> tuple[dict, date] | None:
        """One work by OpenAlex id (`W…`) or DOI (`doi:10.…`), with the answer's date; None
        when OpenAlex does not know it (a 404, which it answers with an HTML page)."""
        data, answered = self.get_json(f"/works/{quote(key, safe=':/')}", {}, missing_ok=True)
        if data is None:
            return None
        if not isinstance(data, dict):
            raise OpenAlexResponseError("a work answer that is not a JSON object")
        return data, answered

    # --- transport -------------------------------------------------------------------------

    def get_json(
        self, path: str, params: dict[str, str], *, missing_ok: bool = False
    ) -> tuple[dict | None, date]:
        """GET `path` and decode its JSON (None for a 404 when `missing_ok`), with the date
        the server answered; retries as the module docstring says."""
        query = dict(params)
        if self.mailto:
            query["mailto"] = self.mailto
        if self.api_key:
            query["api_key"] = self.api_key
        url = f"{self.api_url}{path}" + (f"?{urlencode(query)}" if query else "")
        shown = f"{self.api_url}{path}"  # never the key
        problem = ""
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self._backoff_delay(attempt, retry_after)
                logger.info(
                    "OpenAlex retry %d/%d in %.1fs: %s", attempt, self.retries, delay, problem
                )
                self.sleep(delay)
            try:
                return self._get_once(url, shown, missing_ok=missing_ok)
            except OpenAlexUnavailableError as error:
                problem, retry_after = str(error), error.retry_after
        raise OpenAlexUnavailableError(
            f"OpenAlex unavailable after {self.retries + 1} attempts: {problem}"
        )

    def _backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter; the server's Retry-After is a floor."""
        ceiling = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    def _get_once(self, url: str, shown: str, *, missing_ok: bool) -> tuple[dict | None, date]:
        with self.politeness.slot():
            started = time.monotonic()
            try:
                with self.session.get(
                    url, timeout=(min(self.timeout, 10.0), self.timeout), stream=True
                ) as raw:
                    status = raw.status_code
                    headers = raw.headers
                    length = headers.get("Content-Length", "")
                    if length.isdigit() and int(length) > self.max_bytes:
                        raise OpenAlexResponseError(
                            f"answer of {int(length)} bytes is over the cap of {self.max_bytes}"
                        )
                    content = self._read_capped(raw, started)
            except requests.Timeout as error:
                raise OpenAlexUnavailableError(
                    f"timed out after {self.timeout}s ({shown})"
                ) from error
            except requests.RequestException as error:
                raise OpenAlexUnavailableError(
                    f"request to {shown} failed: {type(error).__name__}"
                ) from error
        answered = _answer_date(headers.get("Date", ""))
        if status in RETRY_STATUSES:
            raise OpenAlexUnavailableError(
                f"HTTP {status} from {shown}",
                retry_after=_retry_after(headers.get("Retry-After", "")),
            )
        if status == 404 and missing_ok:
            return None, answered
        if status == 400:
            raise OpenAlexResponseError(f"OpenAlex refused the request: {_error_text(content)}")
        if status != 200:
            raise OpenAlexResponseError(f"HTTP {status} from {shown}")
        try:
            data = json.loads(content)
        except ValueError as error:
            # Usually damage on the way (a proxy's HTML page, a cut-off body): ask again.
            raise OpenAlexUnavailableError(f"the answer from {shown} is not JSON") from error
        if not isinstance(data, dict):
            raise OpenAlexResponseError(f"the answer from {shown} is not a JSON object")
        return data, answered

    def _read_capped(self, raw: requests.Response, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        deadline = started + self.timeout * 4  # a server dribbling bytes
        for chunk in raw.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise OpenAlexResponseError(f"answer over the cap of {self.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise OpenAlexUnavailableError(f"body took longer than {self.timeout * 4:.0f}s")
            chunks.append(chunk)
        return b"".join(chunks)


def _retry_after(value: str) -> float | None:
    """Seconds from a Retry-After header: a number, or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _answer_date(value: str) -> date:
    """The day the server answered (its Date header), in UTC; today when it does not say."""
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return datetime.now(UTC).date()
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).date()


def _error_text(content: bytes) -> str:
    try:
        data = json.loads(content)
    except ValueError:
        return content[:200].decode("utf-8", "replace").strip() or "HTTP 400"
    if isinstance(data, dict):
        parts = [str(data.get(k) or "").strip() for k in ("error", "message")]
        return ": ".join(p for p in parts if p) or "HTTP 400"
    return "HTTP 400"


def politeness_from_settings() -> Politeness:
    """OpenAlex's own slots: Redis at OPENALEX_LOCK_URL, else a lock file under var/."""
    from django.conf import settings

    interval = settings.OPENALEX_MIN_INTERVAL
    if settings.OPENALEX_LOCK_URL:
        return RedisPoliteness(
            url=settings.OPENALEX_LOCK_URL,
            interval=interval,
            hold=settings.OPENALEX_TIMEOUT * 5 + 5,
            name=LOCK_NAME,
            service="OpenAlex",
            unavailable=OpenAlexUnavailableError,
        )
    return FilePoliteness(path=settings.OPENALEX_LOCK_FILE, interval=interval)


__all__ = ["OpenAlexClient", "OpenAlexError", "WorksAnswer", "politeness_from_settings"]
