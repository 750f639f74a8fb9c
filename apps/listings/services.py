"""Freezing listings: the one write of this app. A listing is never edited afterwards."""

import logging
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import slugify

from apps.core.exceptions import ApplicationError
from apps.listings.models import Listing, ListingEntry
from apps.listings.prisma import prisma_flow
from apps.listings.snapshot import snapshot_papers
from apps.papers.filtersets import PaperFilterSet
from apps.papers.models import Paper
from apps.papers.relations import attach_relations
from apps.papers.selectors import papers_visible_to

logger = logging.getLogger(__name__)

MAX_PAPERS = 5000
MAX_QUERY_LENGTH = 2000
# Parameters of a list page or API call that say how to show it, not which papers.
PRESENTATION = frozenset({"page", "page_size", "cursor", "format", "fields"})
# Filters whose values may be repeated or comma-separated, in any order.
SET_FILTERS = frozenset({"phase", "challenge", "direction", "category"})
RESERVED_SLUGS = frozenset({"new"})


@dataclass(frozen=True)
class ListingQuery:
    """A paper-list query: as given, parsed, and in canonical form (the series key)."""

    given: str
    parameters: dict[str, list[str]]
    key: str

    def querydict(self) -> QueryDict:
        query = QueryDict(mutable=True)
        for name, values in self.parameters.items():
            query.setlist(name, values)
        return query


def listing_query_parse(query: str) -> ListingQuery:
    """Read a paper-list query string (`phase=testing&q=oracle&ordering=-published`, with or
    without a leading `?`). Paging and format parameters are dropped; an unknown parameter or
    an invalid filter is an ApplicationError that names it."""
    given = (query or "").strip().lstrip("?")
    if len(given) > MAX_QUERY_LENGTH:
        raise ApplicationError(f"The query is longer than {MAX_QUERY_LENGTH} characters.")
    raw = QueryDict(given)
    known = set(PaperFilterSet.base_filters)
    unknown = sorted(set(raw) - known - PRESENTATION)
    if unknown:
        raise ApplicationError(
            f"Unknown parameter(s) in the query: {', '.join(unknown)}. "
            f"Paper lists take: {', '.join(sorted(known))}.",
            extra={"query": [f"Unknown parameter(s): {', '.join(unknown)}."]},
        )
    parameters: dict[str, list[str]] = {}
    for name in sorted(set(raw) & known):
        values = [v.strip() for v in raw.getlist(name) if v.strip()]
        if name in SET_FILTERS:
            values = sorted({part.strip() for v in values for part in v.split(",") if part.strip()})
        if values:
            parameters[name] = values
    kept = QueryDict(mutable=True)
    for name, values in raw.lists():
        if name not in PRESENTATION:
            kept.setlist(name, values)
    key = "&".join(f"{name}={','.join(values)}" for name, values in parameters.items())
    return ListingQuery(given=kept.urlencode(), parameters=parameters, key=key)


def listing_papers(query: ListingQuery) -> PaperFilterSet:
    """The filter set of the query over the public papers (a listing is public: it holds the
    included papers its query selects, whoever freezes it). Check `is_valid()`."""
    return PaperFilterSet(query.querydict(), queryset=papers_visible_to(AnonymousUser()))


def filter_messages(filterset: PaperFilterSet) -> list[str]:
    labels = {name: f.label or name for name, f in filterset.filters.items()}
    return [
        f"{labels.get(name, name)}: {' '.join(str(m) for m in messages)}"
        for name, messages in filterset.errors.items()
    ]


def listing_freeze(
    *,
    title: str,
    query: str = "",
    description: str = "",
    actor: AbstractBaseUser | AnonymousUser | None = None,
) -> Listing:
    """Freeze the papers a paper-list query selects now into a new listing.

    Writes one Listing and its entries (each with a snapshot of its paper), and the base's
    PRISMA figures of this moment. A listing of a query frozen before becomes the next version
    of that series. Not idempotent by design: every call is a new freeze (a new version).
    Raises ApplicationError for a missing title, a bad query or too many papers.
    """
    for name, value in (("title", title), ("description", description), ("query", query)):
        if "\x00" in (value or ""):
            raise ApplicationError(
                f"The {name} contains a NUL character.", extra={name: ["No NUL characters."]}
            )
    title = " ".join((title or "").split())
    if not title:
        raise ApplicationError("A listing needs a title.", extra={"title": ["Give a title."]})
    if len(title) > 300:
        raise ApplicationError("The title is longer than 300 characters.")
    parsed = listing_query_parse(query)
    filterset = listing_papers(parsed)
    if not filterset.is_valid():
        messages = filter_messages(filterset)
        raise ApplicationError(
            "The query cannot be frozen: " + "; ".join(messages), extra={"query": messages}
        )
    papers_qs = filterset.qs
    count = papers_qs.count()
    if not count:
        raise ApplicationError(
            "This query selects no included paper: there is nothing to freeze.",
            extra={"query": ["No included paper matches."]},
        )
    if count > MAX_PAPERS:
        raise ApplicationError(
            f"This list has {count:,} papers; a listing holds at most {MAX_PAPERS:,}. "
            "Narrow the filters.",
            extra={"query": [f"{count:,} papers, more than {MAX_PAPERS:,}."]},
        )
    try:
        with transaction.atomic():
            return _freeze(title, (description or "").strip(), parsed, papers_qs, actor)
    except IntegrityError as error:  # another freeze of the same query took the version
        logger.info("listing freeze raced: %s", error)
        conflict = ApplicationError(
            "Another freeze of the same list was being made at the same moment; try again."
        )
        conflict.status_code = 409  # type: ignore[attr-defined]  # the API answers 409
        raise conflict from error


def _freeze(title, description, parsed, papers_qs, actor) -> Listing:  # type: ignore[no-untyped-def]
    previous = (
        Listing.objects.select_for_update()
        .filter(query_key=parsed.key)
        .order_by("-version")
        .first()
    )
    papers: list[Paper] = attach_relations(papers_qs)
    frozen_at = timezone.now()
    flow = prisma_flow()
    flow["scope"] = "listing"
    flow["label"] = "The whole knowledge base when this listing was frozen"
    flow["listing"] = {"papers": len(papers)}
    listing = Listing.objects.create(
        slug=_slug(title, previous),
        title=title,
        description=description,
        query=parsed.given,
        parameters=parsed.parameters,
        query_key=parsed.key,
        version=previous.version + 1 if previous else 1,
        previous=previous,
        frozen_at=frozen_at,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        paper_count=len(papers),
        prisma=flow,
    )
    ListingEntry.objects.bulk_create(
        ListingEntry(listing=listing, position=position, **snapshot)
        for position, snapshot in enumerate(snapshot_papers(papers))
    )
    return listing


def _slug(title: str, previous: Listing | None) -> str:
    """v1: from the title; later versions: the first version's slug with `-vN`. Unique."""
    if previous is not None:
        first = Listing.objects.filter(query_key=previous.query_key, version=1).first()
        base = f"{(first or previous).slug}-v{previous.version + 1}"
    else:
        base = slugify(title)[:100].strip("-") or "listing"
        if base in RESERVED_SLUGS:
            base = f"{base}-listing"
    slug, n = base, 2
    while Listing.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug
