"""Reads about listings: the versions of a series, and what changed between two versions or
between a listing and its query run today."""

from dataclasses import dataclass, field

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


def _refs(listing: Listing) -> list[int]:
    """The papers a listing froze (their ids then), in the listing's order: one query of
    integers, whatever the listing's size."""
    return list(
        ListingEntry.objects.filter(listing=listing)
        .order_by("position")
        .values_list("paper_ref", flat=True)
    )


def _shown(listing: Listing, refs: list[int]) -> list[ListingEntry]:
    """The entries of `listing` for the first DIFF_SHOWN of `refs`, in that order."""
    wanted = refs[:DIFF_SHOWN]
    if not wanted:
        return []
    rows = {
        entry.paper_ref: entry
        for entry in ListingEntry.objects.filter(listing=listing, paper_ref__in=wanted).defer(
            "bibtex", "csl"
        )
    }
    return [rows[ref] for ref in wanted if ref in rows]


def listing_diff(old: Listing, new: Listing) -> Difference:
    """Entries of `new` that `old` lacks (added) and of `old` that `new` lacks (removed), by
    the paper each entry froze (at most four queries, however long the listings)."""
    before, after = _refs(old), _refs(new)
    before_set, after_set = set(before), set(after)
    added = [ref for ref in after if ref not in before_set]
    removed = [ref for ref in before if ref not in after_set]
    return Difference(
        added=_shown(new, added),
        removed=_shown(old, removed),
        added_count=len(added),
        removed_count=len(removed),
    )


def listing_live_diff(listing: Listing) -> Difference:
    """What the listing's query selects today against what it froze: papers added since
    (linked to their pages) and frozen papers the query no longer selects (at most four
    queries)."""
    query = ListingQuery(listing.query, listing.parameters, listing.query_key)
    filterset = listing_papers(query)
    if not filterset.is_valid():
        return Difference(valid=False)
    live_ids = list(filterset.qs.order_by().values_list("pk", flat=True))
    frozen = _refs(listing)
    live, frozen_set = set(live_ids), set(frozen)
    added_ids = [pk for pk in live_ids if pk not in frozen_set]
    removed = [ref for ref in frozen if ref not in live]
    shown = (
        {
            paper.pk: paper
            for paper in Paper.objects.filter(pk__in=added_ids[:DIFF_SHOWN]).only(
                "id", "title", "year", "arxiv_id", "published_at"
            )
        }
        if added_ids
        else {}
    )
    return Difference(
        added=[shown[pk] for pk in added_ids[:DIFF_SHOWN] if pk in shown],
        removed=_shown(listing, removed),
        added_count=len(added_ids),
        removed_count=len(removed),
    )
