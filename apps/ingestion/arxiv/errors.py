"""What can go wrong when talking to arXiv, sorted by what the caller should do about it."""

from apps.ingestion.errors import RunError, SourceUnavailableError


class ArxivError(RunError):
    """Base class: a page could not be fetched or understood. `str()` is safe to show."""


class ArxivUnavailableError(ArxivError, SourceUnavailableError):
    """Transient: timeout, connection error, 5xx, 429 or `Rate exceeded.`. Retry later.

    `retry_after` is the server's Retry-After in seconds, when it sent one.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ArxivResponseError(ArxivError):
    """arXiv answered, but not with something we accept (bad status, too large, malformed,
    truncated or unsafe XML). Retrying the same request will not help; the page fails."""


class GarbledResponseError(ArxivResponseError):
    """The body is not the document asked for: empty, malformed or truncated XML, or another
    document altogether (a proxy's HTML error page). Usually a fault on the way rather than
    arXiv's answer, so the client asks again before the page fails."""


class ArxivApiError(ArxivError):
    """arXiv's own error report: the query API's error feed or an OAI-PMH `<error>`.

    `message` is arXiv's wording; `code` is the OAI-PMH error code (or "api" for the feed).
    """

    def __init__(self, message: str, *, code: str = "api") -> None:
        super().__init__(
            f"arXiv says: {message}" if code == "api" else f"arXiv OAI-PMH {code}: {message}"
        )
        self.message = message
        self.code = code


class UnsafeXMLError(ArxivResponseError):
    """The document declares a DTD or entities (billion laughs, external entities): refused."""
