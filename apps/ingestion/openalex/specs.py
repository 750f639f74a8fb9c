"""What an OpenAlex enrichment run is asked to do (a spec in the style of
apps/ingestion/specs.py: built once, validated here, stored as the run's parameters)."""

from dataclasses import dataclass
from typing import ClassVar

from apps.ingestion.models import IngestRun
from apps.ingestion.specs import RunSpec, SpecError

MAX_PAPER_IDS = 100_000


@dataclass(frozen=True)
class OpenAlexSpec(RunSpec):
    """Enrich papers from OpenAlex: those in `paper_ids` (none: every paper with a DOI or an
    arXiv id), with `stale_days` only those not enriched in that many days before the run
    started; or, with `path`, read a saved OpenAlex answer (a work or a list page) instead.
    `reason` says who asked: "selected" (a curator), "schedule", "command"."""

    kind: ClassVar[str] = IngestRun.Kind.OPENALEX
    paper_ids: tuple[int, ...] = ()
    stale_days: int = 0
    path: str = ""
    reason: str = ""

    def __post_init__(self) -> None:
        ids = self.paper_ids
        if isinstance(ids, str) or not isinstance(ids, list | tuple):
            raise SpecError("paper_ids must be a list of paper ids")
        if any(isinstance(i, bool) or not isinstance(i, int) or i < 1 for i in ids):
            raise SpecError("paper_ids must be positive integers")
        ids = tuple(sorted(set(ids)))
        if len(ids) > MAX_PAPER_IDS:
            raise SpecError(f"At most {MAX_PAPER_IDS} papers per run.")
        object.__setattr__(self, "paper_ids", ids)
        days = self.stale_days
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise SpecError("stale_days must be a whole number of days (0: all)")
        if not isinstance(self.path, str) or not isinstance(self.reason, str):
            raise SpecError("path and reason are text")
        if self.path.strip() and (ids or days):
            raise SpecError("a saved answer (path) is read whole: no paper_ids or stale_days")
