"""The seed papers (data/seed-papers.tsv): included, complete as far as the curators read them,
and placed where the curators put them.

Two file versions are understood. Version 2 (the shipped one) carries the full author list,
dates, categories, DOI, venue, code link, kind, the phase, challenge and direction placements
with the curators' note, and a confidence per row. Version 1 (five columns: id, title, first
author, year, phase) is still read, so that a database seeded with it can be reproduced and
then upgraded by loading version 2 over it.
"""

import csv
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from apps.core.exceptions import ApplicationError
from apps.core.history import history_snapshot
from apps.papers.models import Paper, Placement
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.services.curation import PlacementProposal, paper_include, placement_add_many
from apps.papers.services.upsert import UpsertOutcome, UpsertReport, paper_upsert_many
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

SEED_PAPERS_PATH = Path(__file__).resolve().parent.parent / "data" / "seed-papers.tsv"
SEED_COLUMNS_V1 = ["arxiv_id", "title", "first_author", "year", "phase"]
SEED_COLUMNS = [
    "arxiv_id",
    "title",
    "authors",
    "submitted",
    "year",
    "categories",
    "doi",
    "venue",
    "code",
    "kind",
    "phase",
    "challenges",
    "directions",
    "evidence",
    "source",
    "confidence",
]
SURVEY_EVIDENCE = "Cited by the survey (arXiv 2506.23762) for this phase."
CONFIDENCES = ("high", "medium", "low")
INCOMPLETE = "record_incomplete"


@dataclass(frozen=True)
class SeedPaper:
    """One row of a seed file; `problem` says why the row cannot be loaded ("" if it can)."""

    line: int
    arxiv_id: str
    title: str
    authors: list[str] = field(default_factory=list)
    submitted: date | None = None
    year: int | None = None
    categories: list[str] = field(default_factory=list)
    doi: str = ""
    venue: str = ""
    code: str = ""
    kind: str = ""
    phase: str = ""
    challenges: list[str] = field(default_factory=list)
    directions: list[str] = field(default_factory=list)
    evidence: str = ""
    confidence: str = ""
    version: int = 2
    file: str = "seed-papers.tsv"
    problem: str = ""

    @property
    def label(self) -> str:
        return f"{self.file} line {self.line} (arXiv {self.arxiv_id or '?'})"

    @property
    def lacks_facts(self) -> bool:
        """The curators could not confirm the row, or a fact a citation needs is missing."""
        return self.version == 2 and (
            self.confidence == "low"
            or not self.authors
            or self.submitted is None
            or not self.categories
        )


def read_seed_papers(path: Path = SEED_PAPERS_PATH) -> list[SeedPaper]:
    """Parse a seed file (version 2, or version 1 by its header).

    A malformed file (unreadable, unknown header) raises ApplicationError; a malformed row
    comes back with its `problem` set, so that it is reported and the others still load.
    """
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader, None)
            if header not in (SEED_COLUMNS, SEED_COLUMNS_V1):
                raise ApplicationError(
                    f"{path}: expected the columns {SEED_COLUMNS} "
                    f"(or version 1: {SEED_COLUMNS_V1}), got {header}"
                )
            rows = []
            for line, cells in enumerate(reader, start=2):
                if not any(c.strip() for c in cells):
                    continue
                rows.append(_row(header, line, cells, path.name))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise ApplicationError(f"cannot read {path}: {error}") from error
    return rows


def _row(header: list[str], line: int, cells: list[str], file: str) -> SeedPaper:
    """One row as a SeedPaper; a row that cannot be read carries its problem."""
    arxiv_id = cells[0].strip() if cells else ""
    if len(cells) != len(header):
        return SeedPaper(
            line, arxiv_id, "", file=file, problem=f"{len(cells)} columns, not {len(header)}"
        )
    data = dict(zip(header, (c.strip() for c in cells), strict=True))
    try:
        year = int(data["year"]) if data["year"] else None
    except ValueError:
        return SeedPaper(line, arxiv_id, "", file=file, problem=f"year {data['year']!r}")
    if header == SEED_COLUMNS_V1:
        authors = [data["first_author"]] if data["first_author"] else []
        return SeedPaper(
            line, arxiv_id, data["title"], authors, year=year, phase=data["phase"], version=1,
            file=file,
        )  # fmt: skip
    problem = ""
    submitted = None
    if data["submitted"]:
        try:
            submitted = date.fromisoformat(data["submitted"])
        except ValueError:
            problem = f"submitted date {data['submitted']!r} is not YYYY-MM-DD"
    if submitted and year and submitted.year != year:
        problem = f"year {year} disagrees with the submitted date {submitted}"
    if data["kind"] and data["kind"] not in Paper.Kind.values:
        problem = f"unknown kind {data['kind']!r}"
    if data["confidence"] not in CONFIDENCES:
        problem = f"confidence {data['confidence']!r} is not one of {', '.join(CONFIDENCES)}"
    return SeedPaper(
        line,
        arxiv_id,
        data["title"],
        authors=[a.strip() for a in data["authors"].split(";") if a.strip()],
        submitted=submitted,
        year=year or (submitted.year if submitted else None),
        categories=data["categories"].split(),
        doi=data["doi"],
        venue=data["venue"],
        code=data["code"],
        kind=data["kind"],
        phase=data["phase"],
        challenges=data["challenges"].split(),
        directions=data["directions"].split(),
        evidence=data["evidence"],
        confidence=data["confidence"],
        file=file,
        problem=problem,
    )


@dataclass
class SeedReport:
    """Outcome of loading the seed papers."""

    papers: UpsertReport
    included: int
    placements_created: int
    marked_incomplete: int = 0


@dataclass(frozen=True)
class _Taxonomy:
    phases: dict[str, Phase]
    challenges: dict[str, Challenge]
    directions: dict[str, ResearchDirection]

    def problem(self, row: SeedPaper) -> str:
        """Why the row names a place sellm does not have ("" if every slug is known)."""
        if row.phase and row.phase not in self.phases:
            return f"unknown phase {row.phase!r}"
        for slug in row.challenges:
            if slug not in self.challenges:
                return f"unknown challenge {slug!r}"
        for slug in row.directions:
            if slug not in self.directions:
                return f"unknown direction {slug!r}"
        return ""


def _record(row: SeedPaper) -> PaperRecord:
    return PaperRecord(
        title=row.title,
        authors=[AuthorRecord(name) for name in row.authors],
        arxiv_id=row.arxiv_id or None,
        doi=row.doi or None,
        published_at=datetime.combine(row.submitted, datetime.min.time(), tzinfo=UTC)
        if row.submitted
        else None,
        year=row.year,
        primary_category=row.categories[0] if row.categories else "",
        categories=list(row.categories),
        venue=row.venue,
        kind=row.kind,
        code_url=row.code,
        curator_note=row.evidence,
        label=row.label,
    )


@transaction.atomic
def seed_papers_load(*, rows: list[SeedPaper]) -> SeedReport:
    """Load the seed papers (included) with their placements; upgrade what an older seed wrote.

    A paper the seed created and arXiv has not refreshed since is rewritten from the row (so
    a version-1 database gains its full author lists, dates, categories, links and notes,
    with a history entry); any other paper only gains the facts it lacks. Fields a curator
    edited are never written; a paper waiting in the inbox is included, one a curator
    excluded stays excluded; placements are only added (accepted, origin curator, the row's
    note as evidence; version-1 rows: the survey's phase). Rows whose facts are incomplete
    mark their paper `record_incomplete` until a refresh completes it. Bad rows are reported
    and skipped. Safe to call twice: the second call changes nothing.
    """
    taxonomy = _Taxonomy(
        phases={p.slug: p for p in Phase.objects.all()},
        challenges={c.slug: c for c in Challenge.objects.all()},
        directions={d.slug: d for d in ResearchDirection.objects.all()},
    )
    valid, failed = [], []
    for row in rows:
        problem = row.problem or taxonomy.problem(row)
        if problem:
            failed.append(UpsertOutcome(row.label, "failed", reason=problem))
        else:
            valid.append(row)
    report = paper_upsert_many(
        records=[_record(row) for row in valid],
        source=Paper.Source.SEED,
        status=Paper.Status.INCLUDED,
        rewrite_own=True,
    )
    papers = Paper.objects.in_bulk([o.paper_id for o in report.outcomes if o.paper_id])
    included = paper_include(papers=[p for p in papers.values() if p.status == Paper.Status.INBOX])
    proposals = []
    loaded = []
    for row, outcome in zip(valid, report.outcomes, strict=True):
        if not outcome.paper_id:
            continue
        loaded.append((row, papers[outcome.paper_id]))
        proposals.extend(_proposals(row, outcome.paper_id, taxonomy))
    placements_created = placement_add_many(proposals=proposals)
    report.outcomes.extend(failed)
    return SeedReport(
        papers=report,
        included=included,
        placements_created=placements_created,
        marked_incomplete=_mark_incomplete(loaded),
    )


def _proposals(row: SeedPaper, paper_id: int, taxonomy: _Taxonomy) -> list[PlacementProposal]:
    if row.version == 1:
        if not row.phase:
            return []
        return [
            PlacementProposal(
                paper_id, taxonomy.phases[row.phase], Placement.Origin.SURVEY,
                evidence=SURVEY_EVIDENCE,
            )
        ]  # fmt: skip
    targets: list[Phase | Challenge | ResearchDirection] = []
    if row.phase:
        targets.append(taxonomy.phases[row.phase])
    targets += [taxonomy.challenges[slug] for slug in row.challenges]
    targets += [taxonomy.directions[slug] for slug in row.directions]
    return [
        PlacementProposal(
            paper_id, target, Placement.Origin.CURATOR, evidence=row.evidence, accepted=True
        )
        for target in targets
    ]


def _mark_incomplete(loaded: list[tuple[SeedPaper, Paper]]) -> int:
    """Flag papers whose record still lacks facts (see `SeedPaper.lacks_facts`), judged on
    what is stored: a paper arXiv refreshed, or that has every fact, is not flagged again."""
    marked = []
    now = timezone.now()
    for row, paper in loaded:
        if paper.record_incomplete or paper.is_curator_edited(INCOMPLETE):
            continue
        if row.lacks_facts and (
            paper.arxiv_version is None  # never refreshed: the row's gaps are the paper's
            or not paper.author_names
            or paper.published_at is None
            or not paper.primary_category
        ):
            paper.record_incomplete = True
            paper.updated_at = now
            marked.append(paper)
    if marked:
        Paper.objects.bulk_update(marked, [INCOMPLETE, "updated_at"])
        history_snapshot(Paper, [p.pk for p in marked], history_type="~")
    return len(marked)
