"""The survey's seed papers: included, each placed in the phase the survey cites it for."""

import csv
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from apps.core.exceptions import ApplicationError
from apps.papers.models import Paper, Placement
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.services.curation import paper_include, placement_add
from apps.papers.services.upsert import UpsertOutcome, UpsertReport, paper_upsert_many
from apps.taxonomy.models import Phase

SEED_PAPERS_PATH = Path(__file__).resolve().parent.parent / "data" / "seed-papers.tsv"
SEED_COLUMNS = ["arxiv_id", "title", "first_author", "year", "phase"]
SURVEY_EVIDENCE = "Cited by the survey (arXiv 2506.23762) for this phase."


@dataclass(frozen=True)
class SeedPaper:
    """One row of seed-papers.tsv."""

    line: int
    arxiv_id: str
    title: str
    first_author: str
    year: int | None
    phase: str

    @property
    def label(self) -> str:
        return f"seed-papers.tsv line {self.line} (arXiv {self.arxiv_id})"


def read_seed_papers(path: Path = SEED_PAPERS_PATH) -> list[SeedPaper]:
    """Parse the tab-separated seed list; raise ApplicationError on a malformed file."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header != SEED_COLUMNS:
                raise ApplicationError(f"{path}: expected columns {SEED_COLUMNS}, got {header}")
            rows = []
            for line, cells in enumerate(reader, start=2):
                if not any(cells):
                    continue
                if len(cells) != len(SEED_COLUMNS):
                    raise ApplicationError(f"{path} line {line}: expected 5 columns")
                arxiv_id, title, first_author, year, phase = (c.strip() for c in cells)
                rows.append(
                    SeedPaper(
                        line, arxiv_id, title, first_author, int(year) if year else None, phase
                    )
                )
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ApplicationError(f"cannot read {path}: {error}") from error
    return rows


@dataclass
class SeedReport:
    """Outcome of loading the seed papers."""

    papers: UpsertReport
    included: int
    placements_created: int


@transaction.atomic
def seed_papers_load(*, rows: list[SeedPaper]) -> SeedReport:
    """Create the seed papers (included) and their survey placements.

    Papers already in the base keep their data (arXiv metadata is richer than the seed's);
    a paper waiting in the inbox is included, but one a curator excluded stays excluded.
    Placements are only added. Safe to call twice: the second call changes nothing.
    """
    phases = {phase.slug: phase for phase in Phase.objects.all()}
    valid, failed = [], []
    for row in rows:
        if row.phase and row.phase not in phases:
            failed.append(UpsertOutcome(row.label, "failed", reason=f"unknown phase {row.phase!r}"))
        else:
            valid.append(row)
    records = [
        PaperRecord(
            title=row.title,
            authors=[AuthorRecord(row.first_author)] if row.first_author else [],
            arxiv_id=row.arxiv_id,
            year=row.year,
            label=row.label,
        )
        for row in valid
    ]
    report = paper_upsert_many(
        records=records, source=Paper.Source.SEED, status=Paper.Status.INCLUDED
    )
    papers = Paper.objects.in_bulk([o.paper_id for o in report.outcomes if o.paper_id])
    included = paper_include(papers=[p for p in papers.values() if p.status == Paper.Status.INBOX])
    placements_created = 0
    for row, outcome in zip(valid, report.outcomes, strict=True):
        if outcome.paper_id and row.phase:
            _, created = placement_add(
                paper=papers[outcome.paper_id],
                target=phases[row.phase],
                origin=Placement.Origin.SURVEY,
                evidence=SURVEY_EVIDENCE,
            )
            placements_created += created
    report.outcomes.extend(failed)
    return SeedReport(papers=report, included=included, placements_created=placements_created)
