"""The survey's seed papers, version 2 (422 papers with authors, venue and a curator's note),
loaded through the services — the corpus of the search relevance tests.

A snapshot of the seed list is kept beside the tests (data/seed-papers-v2.tsv), so that the
relevance set keeps measuring the same papers whatever the survey loader reads.
"""

import csv
from pathlib import Path

from apps.papers.models import Paper, Placement
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.services import paper_upsert_many, placement_add
from apps.taxonomy.models import Phase
from apps.taxonomy.services import read_survey_taxonomy, survey_taxonomy_load

SEED_V2 = Path(__file__).parent / "data" / "seed-papers-v2.tsv"


def load_seed_v2() -> dict[str, Paper]:
    """Load the taxonomy and every seed paper (included), each placed in its phase with its
    note as the placement's evidence. Returns the papers by arXiv id."""
    survey_taxonomy_load(data=read_survey_taxonomy())
    with SEED_V2.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    records = [
        PaperRecord(
            title=row["title"],
            authors=[AuthorRecord(name.strip()) for name in row["authors"].split(";") if name],
            arxiv_id=row["arxiv_id"] or None,
            doi=row["doi"] or None,
            year=int(row["year"]) if row["year"] else None,
            venue=row["venue"],
            label=f"seed v2 {row['arxiv_id']}",
        )
        for row in rows
    ]
    report = paper_upsert_many(
        records=records, source=Paper.Source.SEED, status=Paper.Status.INCLUDED
    )
    papers = Paper.objects.in_bulk([o.paper_id for o in report.outcomes if o.paper_id])
    phases = {phase.slug: phase for phase in Phase.objects.all()}
    by_arxiv = {}
    for row, outcome in zip(rows, report.outcomes, strict=True):
        assert outcome.paper_id, (row["arxiv_id"], outcome.reason)
        paper = papers[outcome.paper_id]
        by_arxiv[row["arxiv_id"]] = paper
        if row["phase"] in phases:
            placement_add(
                paper=paper,
                target=phases[row["phase"]],
                origin=Placement.Origin.SURVEY,
                evidence=row["evidence"],
            )
    return by_arxiv
