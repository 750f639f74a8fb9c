"""What a paper shows beside itself — its authors, placements, categories and citations — for
a whole page of papers at once: one loader per relation, one query per page, plain rows.

The API, the HTML pages, the feeds, the listings' snapshots, the admin and the exports all
read these rows, so a relation is loaded one way everywhere. With the API's `links` (the URL
of each kind of row) a row is exactly what the API answers, in its key order; with a page's
(`page_links`) it carries the HTML pages' URLs instead; without, it has no "url" keys.
Plain rows, not prefetched model instances: building instances and rendering them cost more
than the database work itself (bench/api_bench.py).

`reader` says who is looking, for the rows that depend on it: curators see every placement and
cite any paper, everyone else (`PUBLIC`, None) accepted placements and included papers. The
ids are papers the caller already shows the reader; the pages, feeds, exports and the admin
read as the public whoever asks (a list's tags are the accepted placements).
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.paginator import Page
from django.db.models import F, QuerySet

from apps.core.links import Link
from apps.core.links import Links as LinkTemplates
from apps.core.roles import is_curator
from apps.papers.models import Authorship, Citation, Paper, Placement
from apps.papers.selectors import papers_visible_to

Reader = AbstractBaseUser | AnonymousUser | None
PUBLIC: Reader = None
# The URL of each kind of row: "author", "paper", "placement", "phase", "challenge", "direction".
Links = Mapping[str, Link]
Rows = Mapping[int, list]  # paper id → its rows, in order (papers without rows are absent)


class RelationLoader(Protocol):
    def __call__(self, ids: list[int], reader: Reader = PUBLIC, links: Links | None = None) -> Rows:
        """Each paper's rows of one relation, for the papers `ids`: one query."""


def load_authors(ids: list[int], reader: Reader = PUBLIC, links: Links | None = None) -> Rows:
    """Authors in order: id, name, affiliation (url)."""
    rows: dict[int, list[dict]] = defaultdict(list)
    authorships = (
        Authorship.objects.filter(paper_id__in=ids)
        .order_by("paper_id", "position")
        .values_list("paper_id", "author_id", "author__name", "affiliation")
    )
    url = links["author"] if links is not None else None
    for paper_id, author_id, name, affiliation in authorships:
        row = {"id": author_id, "name": name, "affiliation": affiliation}
        if url is not None:
            row["url"] = url(author_id)
        rows[paper_id].append(row)
    return rows


def load_categories(ids: list[int], reader: Reader = PUBLIC, links: Links | None = None) -> Rows:
    """Category codes, sorted."""
    codes: dict[int, list[str]] = defaultdict(list)
    through = Paper.categories.through.objects.filter(paper_id__in=ids)
    for paper_id, code in through.order_by("category_id").values_list("paper_id", "category_id"):
        codes[paper_id].append(code)
    return codes


def citation_loader(own: str, other: str) -> RelationLoader:
    """Papers linked by a citation (`own` → `other`: citing → cited gives the references)
    that the reader may see, newest first: id, (url,) title, year, arxiv_id."""

    def load(ids: list[int], reader: Reader = PUBLIC, links: Links | None = None) -> Rows:
        visible = papers_visible_to(reader).order_by().values("pk")
        rows: dict[int, list[dict]] = defaultdict(list)
        found = (
            Citation.objects.filter(**{f"{own}_id__in": ids, f"{other}__in": visible})
            .order_by(
                f"{own}_id", F(f"{other}__published_at").desc(nulls_last=True), f"-{other}_id"
            )
            .values_list(
                f"{own}_id",
                f"{other}_id",
                f"{other}__title",
                f"{other}__year",
                f"{other}__arxiv_id",
            )
        )
        url = links["paper"] if links is not None else None
        for paper_id, pk, title, year, arxiv_id in found:
            row = {"id": pk} if url is None else {"id": pk, "url": url(pk)}
            row |= {"title": title, "year": year, "arxiv_id": arxiv_id}
            rows[paper_id].append(row)
        return rows

    return load


load_references = citation_loader("citing", "cited")
load_cited_by = citation_loader("cited", "citing")

PLACEMENT_COLUMNS = (
    "paper_id",
    "id",
    "origin",
    "confidence",
    "evidence",
    "review_state",
    "phase__slug",
    "phase__name",
    "challenge__slug",
    "challenge__name",
    "direction__slug",
    "direction__name",
)
TARGETS = ("phase", "challenge", "direction")


def visible_placements(reader: Reader) -> QuerySet[Placement]:
    """Every placement for curators, the accepted ones for everyone else. Unlike
    `placements_visible_to`, whatever the paper's status: the caller's ids are papers it shows
    the reader, and a curator's list shows an inbox paper with its accepted placements."""
    return Placement.objects.all() if is_curator(reader) else Placement.objects.accepted()


def load_placements(ids: list[int], reader: Reader = PUBLIC, links: Links | None = None) -> Rows:
    """The placements the reader may see, in lifecycle order: id, (url,) target_kind, phase,
    challenge and direction (slug, name, (url); or None), origin, confidence, evidence and
    review_state."""
    rows: dict[int, list[dict]] = defaultdict(list)
    placements = (
        visible_placements(reader)
        .filter(paper_id__in=ids)
        .order_by("phase__order", "id")
        .values_list(*PLACEMENT_COLUMNS)
    )
    urls = [links[kind] for kind in TARGETS] if links is not None else None
    placement_url = links.get("placement") if links is not None else None  # pages have none
    for paper_id, pk, origin, confidence, evidence, state, *names in placements:
        targets: dict[str, dict | None] = {}
        for index, kind in enumerate(TARGETS):
            slug, name = names[2 * index], names[2 * index + 1]
            if not slug:
                targets[kind] = None
            elif urls is None:
                targets[kind] = {"slug": slug, "name": name}
            else:
                targets[kind] = {"slug": slug, "name": name, "url": urls[index](slug)}
        kind = (
            "direction"
            if targets["direction"]
            else "challenge"
            if targets["challenge"]
            else "phase"
        )
        row = {"id": pk} if placement_url is None else {"id": pk, "url": placement_url(pk)}
        row |= {
            "target_kind": kind,
            **targets,
            "origin": origin,
            "confidence": confidence,
            "evidence": evidence,
            "review_state": state,
        }
        rows[paper_id].append(row)
    return rows


def placement_target(row: Mapping) -> Mapping:
    """The phase, challenge or direction a placement row names (slug, name)."""
    return row[row["target_kind"]]


# What each relation is called on a paper once attached.
ATTRIBUTES: dict[str, tuple[RelationLoader, str]] = {
    "authors": (load_authors, "author_rows"),
    "placements": (load_placements, "placement_rows"),
    "categories": (load_categories, "category_codes"),
    "references": (load_references, "reference_rows"),
    "cited_by": (load_cited_by, "cited_by_rows"),
}
# What a list of papers shows, and what the exports write: authors and placements.
LIST_ROWS = ("authors", "placements")
# The HTML page of each kind of row a paper list links to (a placement has none).
PAGE_VIEWS = {
    "author": ("papers:author", "pk"),
    "paper": ("papers:detail", "pk"),
    "phase": ("taxonomy:phase", "slug"),
    "challenge": ("taxonomy:challenge", "slug"),
    "direction": ("taxonomy:direction", "slug"),
}


def page_links() -> Links:
    """The pages' links for rows shown in HTML (`author.url`, `placement.phase.url`, …)."""
    return LinkTemplates(PAGE_VIEWS)


P = TypeVar("P", bound=Paper)


def attach_relations(
    papers: Iterable[P],
    relations: Sequence[str] = LIST_ROWS,
    *,
    reader: Reader = PUBLIC,
    links: Links | None = None,
) -> list[P]:
    """`papers` as a list, each with the rows of `relations` set (`paper.author_rows`,
    `paper.placement_rows`, …; see ATTRIBUTES): one query per relation, none without papers.
    With `links` (a page's: its own URL of an author, a phase, …) each row carries its URL,
    and each paper its own page's (`paper.page_url`)."""
    papers = list(papers)
    ids = [paper.pk for paper in papers]
    paper_url = links.get("paper") if links is not None else None
    if paper_url is not None:  # the paper's own page, as its rows link theirs
        for paper in papers:
            paper.page_url = paper_url(paper.pk)  # type: ignore[attr-defined]
    for name in relations:
        load, attribute = ATTRIBUTES[name]
        rows = load(ids, reader, links) if ids else {}
        for paper in papers:
            setattr(paper, attribute, rows.get(paper.pk, []))
    return papers


def attach_to_page(
    page: Page,
    relations: Sequence[str] = LIST_ROWS,
    *,
    reader: Reader = PUBLIC,
    links: Links | None = None,
) -> Page:
    """A page of papers with their rows attached (its object list becomes a list)."""
    page.object_list = attach_relations(page.object_list, relations, reader=reader, links=links)
    return page


def stream_with_relations(
    papers: QuerySet[Paper],
    *,
    chunk_size: int,
    relations: Sequence[str] = LIST_ROWS,
    reader: Reader = PUBLIC,
) -> Iterator[Paper]:
    """`papers` read from the database `chunk_size` at a time, each chunk with its rows
    attached (one query per relation and chunk): memory stays flat however many papers."""
    chunk: list[Paper] = []
    for paper in papers.iterator(chunk_size=chunk_size):
        chunk.append(paper)
        if len(chunk) == chunk_size:
            yield from attach_relations(chunk, relations, reader=reader)
            chunk = []
    if chunk:
        yield from attach_relations(chunk, relations, reader=reader)
