"""The HTTP side of arXiv: one polite GET at a time, with timeouts, a size cap and retries.

Every request goes through `ArxivClient.fetch` (`get` is `fetch` without parsing), which

- takes a slot from the cross-process politeness lock (see `politeness.py`), so there is at
  most one request to arXiv per `min_interval` seconds whatever the number of workers;
- sets a connect and read timeout, and a deadline for the whole body;
- reads at most `max_bytes` of body (a bigger answer fails the page);
- retries timeouts, connection errors, 5xx, HTTP 429 and arXiv's plain-text `Rate exceeded.`
  with exponential backoff and full jitter (honouring `Retry-After` when arXiv sends one),
  then gives up with `ArxivUnavailableError`, which Celery retries later with its own backoff.

The page fetchers (`fetch_atom_page`, `fetch_oai_page`) add the query parameters and parse;
a garbled body (empty, malformed, truncated, not the document asked for) is retried the same
way as a 503, since it is usually damage on the way rather than arXiv's answer.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

import requests

from apps.ingestion.arxiv.errors import (
    ArxivResponseError,
    ArxivUnavailableError,
    GarbledResponseError,
)
from apps.ingestion.arxiv.parsers import AtomPage, OaiPage, parse_atom, parse_oai
from apps.ingestion.arxiv.politeness import Politeness

logger = logging.getLogger(__name__)

USER_AGENT = "sellm/0.1 (knowledge base of SE for LLMs; metadata harvester)"
# arXiv caps one query API call at 2,000 results.
MAX_PAGE_SIZE = 2000
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RATE_EXCEEDED = b"Rate exceeded."

Parsed = TypeVar("Parsed")


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched body and what is needed to judge it."""

    url: str
    status: int
    content: bytes
    content_type: str


class ArxivClient:
    """Polite, bounded, retrying access to the arXiv query API and OAI-PMH endpoint."""

    def __init__(
        self,
        *,
        api_url: str,
        oai_url: str,
        politeness: Politeness,
        timeout: float = 30.0,
        max_bytes: int = 64 * 1024 * 1024,
        retries: int = 4,
        backoff: float = 3.0,
        backoff_max: float = 120.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api_url = api_url
        self.oai_url = oai_url
        self.politeness = politeness
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.sleep = sleep

    @classmethod
    def from_settings(cls) -> "ArxivClient":
        """A client configured by ARXIV_* settings, with the settings' politeness backend."""
        from django.conf import settings

        from apps.ingestion.arxiv.politeness import politeness_from_settings

        return cls(
            api_url=settings.ARXIV_API_URL,
            oai_url=settings.ARXIV_OAI_URL,
            politeness=politeness_from_settings(),
            timeout=settings.ARXIV_TIMEOUT,
            max_bytes=settings.ARXIV_MAX_RESPONSE_BYTES,
            retries=settings.ARXIV_RETRIES,
            backoff=max(settings.ARXIV_MIN_INTERVAL, 0.05),
        )

    # --- pages ---------------------------------------------------------------------------

    def fetch_atom_page(
        self,
        *,
        search_query: str = "",
        id_list: list[str] | None = None,
        start: int = 0,
        max_results: int = 100,
        sort_by: str = "submittedDate",
        sort_order: str = "descending",
    ) -> AtomPage:
        """One page of the query API (search and/or id list), parsed; raises ArxivError."""
        params: dict[str, str | int] = {
            "start": start,
            "max_results": min(max(max_results, 1), MAX_PAGE_SIZE),
        }
        if search_query:
            params["search_query"] = search_query
            params["sortBy"] = sort_by
            params["sortOrder"] = sort_order
        if id_list:
            params["id_list"] = ",".join(id_list)
        return self.fetch(self.api_url, params, lambda response: parse_atom(response.content))

    def fetch_oai_page(
        self,
        *,
        oai_set: str = "",
        metadata_prefix: str = "arXivRaw",
        from_date: str = "",
        until_date: str = "",
        resumption_token: str = "",
    ) -> OaiPage:
        """One ListRecords page (the first by set and dates, later ones by token), parsed."""
        params: dict[str, str | int] = {"verb": "ListRecords"}
        if resumption_token:
            params["resumptionToken"] = resumption_token
        else:
            params["metadataPrefix"] = metadata_prefix
            if oai_set:
                params["set"] = oai_set
            if from_date:
                params["from"] = from_date
            if until_date:
                params["until"] = until_date
        return self.fetch(self.oai_url, params, lambda response: parse_oai(response.content))

    # --- transport -----------------------------------------------------------------------

    def fetch(
        self, url: str, params: dict[str, str | int], parse: Callable[[Response], Parsed]
    ) -> Parsed:
        """GET and `parse` the Response, retrying transient failures and garbled bodies
        alike; raises ArxivUnavailableError after the last attempt."""
        full_url = f"{url}?{urlencode(params)}" if params else url
        last_problem = ""
        retry_after: float | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self._backoff_delay(attempt, retry_after)
                logger.info(
                    "arXiv retry %d/%d in %.1fs: %s", attempt, self.retries, delay, last_problem
                )
                self.sleep(delay)
            try:
                response = self._get_once(full_url)
                return parse(response)
            except (ArxivUnavailableError, GarbledResponseError) as error:
                last_problem = str(error)
                retry_after = getattr(error, "retry_after", None)
                continue
        raise ArxivUnavailableError(
            f"arXiv unavailable after {self.retries + 1} attempts: {last_problem}"
        )

    def _backoff_delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with jitter (half fixed, half random); a server's Retry-After
        is a floor."""
        ceiling = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_max))
        return delay

    def _get_once(self, url: str) -> Response:
        with self.politeness.slot():
            started = time.monotonic()
            try:
                with self.session.get(
                    url, timeout=(min(self.timeout, 10.0), self.timeout), stream=True
                ) as raw:
                    status = raw.status_code
                    retry_after = raw.headers.get("Retry-After", "")
                    content_type = raw.headers.get("Content-Type", "")
                    length = raw.headers.get("Content-Length", "")
                    if length.isdigit() and int(length) > self.max_bytes:
                        raise ArxivResponseError(
                            f"response of {int(length)} bytes is over the cap of {self.max_bytes}"
                        )
                    content = self._read_capped(raw, started)
            except requests.Timeout as error:
                raise ArxivUnavailableError(f"timed out after {self.timeout}s ({url})") from error
            except requests.ConnectionError as error:
                raise ArxivUnavailableError(f"connection failed: {error}") from error
            except requests.RequestException as error:
                raise ArxivUnavailableError(f"request failed: {error}") from error

        if status in RETRY_STATUSES or content.strip() == RATE_EXCEEDED:
            what = "Rate exceeded." if content.strip() == RATE_EXCEEDED else f"HTTP {status}"
            raise ArxivUnavailableError(
                f"{what} from {url}",
                retry_after=float(retry_after) if retry_after.strip().isdigit() else None,
            )
        if status not in (200, 400):
            raise ArxivResponseError(f"HTTP {status} from {url}")
        return Response(url, status, content, content_type)

    def _read_capped(self, raw: requests.Response, started: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        # A server dribbling bytes keeps each read under the timeout; bound the whole body.
        deadline = started + self.timeout * 4
        for chunk in raw.iter_content(chunk_size=256 * 1024):
            size += len(chunk)
            if size > self.max_bytes:
                raise ArxivResponseError(f"response is over the cap of {self.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise ArxivUnavailableError(f"body took longer than {self.timeout * 4:.0f}s")
            chunks.append(chunk)
        return b"".join(chunks)
