"""What can go wrong when talking to OpenAlex, sorted by what the caller should do about it
(as the run engine sees it: apps/ingestion/errors.py)."""

from apps.ingestion.errors import RunError, SourceUnavailableError


class OpenAlexError(RunError):
    """Base class: an answer could not be fetched or understood. `str()` is safe to show."""


class OpenAlexUnavailableError(OpenAlexError, SourceUnavailableError):
    """Transient: timeout, connection error, 5xx, 429, a garbled body. Retry later.

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OpenAlexResponseError(OpenAlexError):
    """OpenAlex answered, but not with something usable: its own error report for a bad
    filter or `select` (HTTP 400, JSON `{"error", "message"}`), another status, or a body
    too large. Asking again will not help; the run fails with the reason."""
