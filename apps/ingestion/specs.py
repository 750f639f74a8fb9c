"""What a run is asked to do: one typed specification per run kind.

A spec is built once where the request comes in (API, admin, command, schedule), validated in
its `__post_init__`, stored on the run as JSON (`IngestRun.parameters`) and read back by the
engine with the kind's `from_json`. Nothing else builds a run's parameters, so a misspelt
key cannot hide in one caller: every path gets the same `SpecError` for the same bad input.

To add a run kind, see "Adding a run kind" in docs/ingestion.md.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, Self

from apps.core.exceptions import ApplicationError
from apps.ingestion import limits
from apps.ingestion.models import IngestRun
from apps.papers.identifiers import parse_arxiv_id

DEFAULT_QUERY_MAX = 1000
QUERY_PAGE_SIZE = 500
MAX_IDS = 100_000  # a run the schedule starts (refresh of incomplete records)
METADATA_PREFIXES = ("arXivRaw", "arXiv", "oai_dc")


class SpecError(ApplicationError):
    """The parameters of a run are not valid for its kind; the message says which and why."""


@dataclass(frozen=True)
class RunSpec:
    """Base of every spec: its `kind`, JSON in and out. Subclasses are frozen dataclasses of
    JSON-friendly fields (str, int, bool, lists of those) and validate in `__post_init__`."""

    kind: ClassVar[str]

    def expected(self) -> int | None:
        """How many records the run expects, when known before it starts (its `total`)."""
        return None

    def to_json(self) -> dict[str, Any]:
        """The dict stored in `IngestRun.parameters` (defaults included, so a row says all)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, data: object) -> Self:
        """Read a stored spec back; unknown keys or wrong types raise SpecError."""
        if not isinstance(data, dict):
            raise SpecError(f"{cls.kind} parameters must be an object, not {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise SpecError(f"{cls.kind} parameters: unknown {', '.join(unknown)}")
        try:
            return cls(**data)
        except TypeError as error:
            raise SpecError(f"{cls.kind} parameters: {error}") from error


def _jsonable(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _arxiv_ids(values: object, *, what: str = "ids", most: int = MAX_IDS) -> tuple[str, ...]:
    """Versionless or versioned arXiv ids in any spelling → canonical, deduplicated, in order."""
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise SpecError(f"{what} must be a list of arXiv identifiers")
    cleaned: list[str] = []
    bad: list[str] = []
    for raw in values:
        text = str(raw).strip()
        if not text:
            continue
        parsed = parse_arxiv_id(text)
        if parsed is None:
            bad.append(text)
            continue
        arxiv_id, version = parsed
        cleaned.append(f"{arxiv_id}v{version}" if version else arxiv_id)
    if bad:
        more = f" and {len(bad) - 10} more" if len(bad) > 10 else ""
        raise SpecError(f"Not arXiv identifiers: {', '.join(bad[:10])}{more}")
    cleaned = list(dict.fromkeys(cleaned))
    if not cleaned:
        raise SpecError("Give at least one arXiv identifier.")
    if len(cleaned) > most:
        raise SpecError(f"{len(cleaned):,} arXiv identifiers; one run takes at most {most:,}.")
    return tuple(cleaned)


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"{name} must be a positive integer")
    return value


def _iso_date(value: str, name: str) -> str:
    if not value:
        return ""
    try:
        return date.fromisoformat(value).isoformat()
    except (TypeError, ValueError) as error:
        raise SpecError(f"{name} must be a date, YYYY-MM-DD") from error


@dataclass(frozen=True)
class ArxivIdsSpec(RunSpec):
    """Add or refresh papers by arXiv id (with a version: that version; without: the latest)."""

    kind: ClassVar[str] = IngestRun.Kind.ARXIV_IDS
    ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Asked for by a person or a script: the request limit (docs/limits.md).
        object.__setattr__(self, "ids", _arxiv_ids(self.ids, most=limits.MAX_IDS))

    def expected(self) -> int | None:
        return len(self.ids)


@dataclass(frozen=True)
class ArxivRefreshSpec(RunSpec):
    """Re-fetch papers already in the base from arXiv by their (versionless) ids: the same
    pages as `ArxivIdsSpec`, and a paper the refresh made complete loses `record_incomplete`."""

    kind: ClassVar[str] = IngestRun.Kind.ARXIV_REFRESH
    ids: tuple[str, ...] = ()
    reason: str = ""  # "selected" (curator), "incomplete" (the schedule)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ids", _arxiv_ids(self.ids))

    def expected(self) -> int | None:
        return len(self.ids)


@dataclass(frozen=True)
class ArxivQuerySpec(RunSpec):
    """One arXiv API search query, newest submissions first, up to `max` records."""

    kind: ClassVar[str] = IngestRun.Kind.ARXIV_QUERY
    query: str = ""
    max: int = DEFAULT_QUERY_MAX
    page_size: int = QUERY_PAGE_SIZE
    sort_by: str = "submittedDate"
    sort_order: str = "descending"

    def __post_init__(self) -> None:
        query = str(self.query).strip()
        if not query:
            raise SpecError("The arXiv query is empty.")
        if len(query) > limits.MAX_QUERY_LENGTH:
            raise SpecError(f"The arXiv query is over {limits.MAX_QUERY_LENGTH:,} characters.")
        object.__setattr__(self, "query", query)
        if _positive(self.max, "max") > limits.MAX_QUERY_RESULTS:
            raise SpecError(f"max must be from 1 to {limits.MAX_QUERY_RESULTS:,}")
        _positive(self.page_size, "page_size")
        if self.sort_by not in ("relevance", "lastUpdatedDate", "submittedDate"):
            raise SpecError(f"sort_by {self.sort_by!r} is not one arXiv knows")
        if self.sort_order not in ("ascending", "descending"):
            raise SpecError("sort_order must be ascending or descending")


@dataclass(frozen=True)
class OaiSetSpec(RunSpec):
    """One OAI-PMH set (or the whole archive when empty), optionally changed since `from_`."""

    kind: ClassVar[str] = IngestRun.Kind.OAI_SET
    set: str = ""
    metadata_prefix: str = "arXivRaw"
    from_: str = ""
    until: str = ""

    def __post_init__(self) -> None:
        if self.metadata_prefix not in METADATA_PREFIXES:
            raise SpecError(f"metadata_prefix must be one of {', '.join(METADATA_PREFIXES)}")
        object.__setattr__(self, "from_", _iso_date(self.from_, "from"))
        object.__setattr__(self, "until", _iso_date(self.until, "until"))

    # "from" is a Python keyword, and the name OAI-PMH and older rows use.
    def to_json(self) -> dict[str, Any]:
        data = RunSpec.to_json(self)
        data["from"] = data.pop("from_")
        return data

    @classmethod
    def from_json(cls, data: object) -> Self:
        if isinstance(data, dict) and "from" in data:
            data = {**{k: v for k, v in data.items() if k != "from"}, "from_": data["from"]}
        return super().from_json(data)


@dataclass(frozen=True)
class SavedResponseSpec(RunSpec):
    """A saved Atom or OAI-PMH response on this machine's disk (offline use)."""

    kind: ClassVar[str] = IngestRun.Kind.SAVED_RESPONSE
    path: str = ""

    def __post_init__(self) -> None:
        if not str(self.path).strip():
            raise SpecError("A saved-response run needs the file's path.")


@dataclass(frozen=True)
class BibtexSpec(RunSpec):
    """An uploaded BibTeX file (its text is on the run's BibtexImport)."""

    kind: ClassVar[str] = IngestRun.Kind.BIBTEX
    filename: str = ""
    entries: int = 0
    mode: str = "background"  # or "during the request"

    def __post_init__(self) -> None:
        if isinstance(self.entries, bool) or not isinstance(self.entries, int) or self.entries < 0:
            raise SpecError("entries must be a count")

    def expected(self) -> int | None:
        return self.entries


__all__ = [
    "ArxivIdsSpec",
    "ArxivQuerySpec",
    "ArxivRefreshSpec",
    "BibtexSpec",
    "OaiSetSpec",
    "RunSpec",
    "SavedResponseSpec",
    "SpecError",
]
