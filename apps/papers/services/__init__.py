"""Writes to papers, authors and placements. Import from here; the modules split by concern:
`upsert` (records from any source), `curation` (curators' decisions), `seed` (survey papers)."""

from apps.papers.services.curation import (
    PlacementProposal,
    paper_authors_edited,
    paper_authors_replace,
    paper_categories_replace,
    paper_create,
    paper_delete,
    paper_edit,
    paper_exclude,
    paper_include,
    paper_update,
    placement_add,
    placement_add_many,
    placement_delete,
    placement_edit,
    placement_phases_sync,
    placement_place,
    placement_review,
    taxonomy_item_edit,
)
from apps.papers.services.seed import read_seed_papers, seed_papers_load
from apps.papers.services.synonyms import synonym_delete, synonym_save
from apps.papers.services.upsert import (
    UpsertOutcome,
    UpsertReport,
    author_get_or_create_many,
    paper_upsert,
    paper_upsert_many,
)

__all__ = [
    "PlacementProposal",
    "UpsertOutcome",
    "UpsertReport",
    "author_get_or_create_many",
    "paper_authors_edited",
    "paper_authors_replace",
    "paper_categories_replace",
    "paper_create",
    "paper_delete",
    "paper_edit",
    "paper_exclude",
    "paper_include",
    "paper_update",
    "paper_upsert",
    "paper_upsert_many",
    "placement_add",
    "placement_add_many",
    "placement_delete",
    "placement_edit",
    "placement_phases_sync",
    "placement_place",
    "placement_review",
    "read_seed_papers",
    "seed_papers_load",
    "synonym_delete",
    "synonym_save",
    "taxonomy_item_edit",
]
