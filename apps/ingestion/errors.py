"""How a run's source can fail, as the engine sees it (each source subclasses these)."""


class RunError(Exception):
    """The source answered, but this page cannot be used (an error report, a malformed or
    oversized answer, a missing file): the run fails with `str(error)` and can be resumed."""


class SourceUnavailableError(Exception):
    """Transient trouble reaching the source (timeout, 5xx, 429): a worker retries the page
    later with backoff; on the last attempt, or in-process, the run fails and can be resumed."""
