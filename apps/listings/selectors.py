"""Reads about listings: the versions of a series, and what changed between two versions or
between a listing and its query run today."""

from dataclasses import dataclass, field

from django.db.models import QuerySet

from apps.listings.models import Listing, ListingEntry
from apps.listings.services import ListingQuery, listing_papers
from apps.papers.models import Paper

DIFF_SHOWN = 50  # papers named per side of a difference; the counts are always whole


@dataclass
class Difference:
    """Papers added and removed going from one set to another (at most DIFF_SHOWN of each
    named, with the full counts)."""

    added: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    added_count: int = 0
    removed_count: int = 0
    valid: bool = True  # False when the live query no longer runs (a filter value is gone)

    @property
    def empty(self) -> bool:
        return self.valid and not (self.added_count or self.removed_count)


def listing_versions(listing: Listing) -> list[Listing]:
    """Every version of the listing's series, oldest first (one query)."""
    return list(
        Listing.objects.filter(query_key=listing.query_key)
        .only("slug", "title", "version", "frozen_at", "paper_count", "query_key")
        .order_by("version")
    )


def _entry_refs(listing: Listing) -> dict[int, ListingEntry]:
    return {
        entry.paper_ref: entry
        for entry in ListingEntry.objects.filter(listing=listing)
        .only("paper_ref", "paper_id", "position", "record", "citation_key", "listing_id")
        .order_by("position")
    }


def listing_diff(old: Listing, new: Listing) -> Difference:
    """Entries of `new` that `old` lacks (added) and of `old` that `new` lacks (removed), by
    the paper each entry froze (two queries)."""
    before, after = _entry_refs(old), _entry_refs(new)
    added = [after[ref] for ref in after if ref not in before]
    removed = [before[ref] for ref in before if ref not in after]
    return Difference(
        added=added[:DIFF_SHOWN],
        removed=removed[:DIFF_SHOWN],
        added_count=len(added),
        removed_count=len(removed),
    )


def listing_live_diff(listing: Listing) -> Difference:
    """What the listing's query selects today against what it froze: papers added since
    (linked to their pages) and frozen papers the query no longer selects (three queries)."""
    query = ListingQuery(listing.query, listing.parameters, listing.query_key)
    filterset = listing_papers(query)
    if not filterset.is_valid():
        return Difference(valid=False)
    live_ids = list(filterset.qs.order_by().values_list("pk", flat=True))
    frozen = _entry_refs(listing)
    live = set(live_ids)
    added_ids = [pk for pk in live_ids if pk not in frozen]
    removed = [entry for ref, entry in frozen.items() if ref not in live]
    shown: QuerySet[Paper] = Paper.objects.filter(pk__in=added_ids[:DIFF_SHOWN]).only(
        "id", "title", "year", "arxiv_id", "published_at"
    )
    return Difference(
        added=list(shown),
        removed=removed[:DIFF_SHOWN],
        added_count=len(added_ids),
        removed_count=len(removed),
    )
