"""What a run kind supplies to the engine: its spec, how to fetch a page, how to write one.

The engine (apps/ingestion/engine.py) owns the loop — claim, fetch, write page and cursor,
finish or continue — and calls these hooks. A kind never writes the run's counts, cursor or
status itself. Kinds are listed once, in apps/ingestion/registry.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from apps.ingestion.models import IngestRun
from apps.ingestion.specs import RunSpec
from apps.papers.records import PaperRecord
from apps.papers.services import UpsertOutcome, UpsertReport

S = TypeVar("S", bound=RunSpec)


@dataclass(slots=True)
class Page:
    """A fetched page, ready to write: records, per-entry failures, where the run goes next.

    `items` carries anything else a kind's `write` needs (BibTeX keeps its parsed entries
    there); `done` ends the run after this page; `total` updates the run's expected count.
    """

    records: list[PaperRecord] = field(default_factory=list)
    failures: list[UpsertOutcome] = field(default_factory=list)
    next_cursor: dict = field(default_factory=dict)
    done: bool = False
    total: int | None = None
    harvested_until: datetime | None = None
    items: list[Any] = field(default_factory=list)


class RunKind(Generic[S]):
    """One kind of run. Subclass it, set `spec`, implement `fetch` and `write`.

    - `fetch` reads the source (network, file, stored upload) outside any transaction and
      must not write to the database. Raise `SourceUnavailableError` for transient trouble
      (retried), `RunError` (or `SpecError`/`ValueError`) when the run cannot go on.
    - `write` runs inside the page's transaction, after the engine has checked that no other
      worker wrote this page; it upserts the page's records and returns what happened.
    - `open`/`close` hold a session (an HTTP client, a parsed file) across a run's pages.
    - `finished` runs in the last page's transaction (e.g. move a harvest source's cursor).
    - `one_page_per_task`: a worker does one page per task and sends the next (network
      kinds: a task stays short and others get a turn); otherwise it does all pages.
    """

    spec: ClassVar[type[RunSpec]]
    one_page_per_task: ClassVar[bool] = True

    def open(self, run: IngestRun, spec: S) -> Any:
        """A session for this run's pages (closed with `close`); None by default."""
        return None

    def close(self, session: Any) -> None:
        """Release what `open` returned."""

    def fetch(self, run: IngestRun, spec: S, cursor: dict, session: Any) -> Page:
        raise NotImplementedError

    def write(self, run: IngestRun, spec: S, page: Page, session: Any) -> UpsertReport:
        raise NotImplementedError

    def finished(self, run: IngestRun, spec: S, page: Page) -> None:
        """Called in the last page's transaction, before the run is marked succeeded."""
