"""What a page of papers shows beside each row — authors, visible placements, categories —
fetched as plain rows, one query per relation, and attached to the papers.

The paper list is the API's hottest path. Prefetching model instances and running them
through nested serializers cost more than the database work itself (measured in
bench/api_bench.py); plain rows, already shaped as the answer, keep the list within twice a
hand-written SQL baseline. The query count stays fixed whatever the page size.
"""

from collections import defaultdict
from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F

from apps.core.api.fields import UrlTemplate
from apps.papers.models import Authorship, Citation, Paper
from apps.papers.selectors import papers_visible_to, placements_visible_to

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


def attach_relations(
    papers: Sequence[Paper],
    *,
    user: AbstractBaseUser | AnonymousUser,
    request: object | None,
    authors: bool = True,
    placements: bool = True,
    categories: bool = True,
    citations: bool = True,
) -> None:
    """Set `author_rows`, `placement_rows`, `category_codes`, `reference_rows` and
    `cited_by_rows` on each paper (the ones asked for). Placements and cited or citing papers
    are those `user` may see: accepted placements and included papers for the public, all
    for curators."""
    ids = [paper.pk for paper in papers]
    if not ids:
        return
    if authors:
        _attach_authors(papers, ids, request)
    if placements:
        _attach_placements(papers, ids, user, request)
    if categories:
        codes: dict[int, list[str]] = defaultdict(list)
        through = Paper.categories.through.objects.filter(paper_id__in=ids)
        for paper_id, code in through.order_by("category_id").values_list(
            "paper_id", "category_id"
        ):
            codes[paper_id].append(code)
        for paper in papers:
            paper.category_codes = codes.get(paper.pk, [])  # type: ignore[attr-defined]  # read by PaperSerializer
    if citations:
        _attach_citations(papers, ids, user, request)


def _attach_citations(
    papers: Sequence[Paper],
    ids: list[int],
    user: AbstractBaseUser | AnonymousUser,
    request: object | None,
) -> None:
    """Both directions in one query each, as brief paper rows (newest first)."""
    url = UrlTemplate("api:paper-detail", request)
    visible = papers_visible_to(user).order_by().values("pk")
    for attribute, own, other in (
        ("reference_rows", "citing", "cited"),
        ("cited_by_rows", "cited", "citing"),
    ):
        rows: dict[int, list[dict]] = defaultdict(list)
        links = (
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
        for paper_id, pk, title, year, arxiv_id in links:
            rows[paper_id].append(
                {"id": pk, "url": url(pk), "title": title, "year": year, "arxiv_id": arxiv_id}
            )
        for paper in papers:
            setattr(paper, attribute, rows.get(paper.pk, []))


def _attach_authors(papers: Sequence[Paper], ids: list[int], request: object | None) -> None:
    url = UrlTemplate("api:author-detail", request)
    rows: dict[int, list[dict]] = defaultdict(list)
    authorships = (
        Authorship.objects.filter(paper_id__in=ids)
        .order_by("paper_id", "position")
        .values_list("paper_id", "author_id", "author__name", "affiliation")
    )
    for paper_id, author_id, name, affiliation in authorships:
        rows[paper_id].append(
            {"id": author_id, "name": name, "affiliation": affiliation, "url": url(author_id)}
        )
    for paper in papers:
        paper.author_rows = rows.get(paper.pk, [])  # type: ignore[attr-defined]  # read by PaperSerializer


def _attach_placements(
    papers: Sequence[Paper],
    ids: list[int],
    user: AbstractBaseUser | AnonymousUser,
    request: object | None,
) -> None:
    urls = {
        "placement": UrlTemplate("api:placement-detail", request),
        "phase": UrlTemplate("api:phase-detail", request, "slug"),
        "challenge": UrlTemplate("api:challenge-detail", request, "slug"),
        "direction": UrlTemplate("api:direction-detail", request, "slug"),
    }
    rows: dict[int, list[dict]] = defaultdict(list)
    placements = (
        placements_visible_to(user)
        .filter(paper_id__in=ids)
        .order_by("phase__order", "id")
        .values_list(*PLACEMENT_COLUMNS)
    )
    for paper_id, pk, origin, confidence, evidence, state, *names in placements:
        targets = {}
        for index, kind in enumerate(("phase", "challenge", "direction")):
            slug, name = names[2 * index], names[2 * index + 1]
            targets[kind] = {"slug": slug, "name": name, "url": urls[kind](slug)} if slug else None
        kind = (
            "direction"
            if targets["direction"]
            else "challenge"
            if targets["challenge"]
            else "phase"
        )
        rows[paper_id].append(
            {
                "id": pk,
                "url": urls["placement"](pk),
                "target_kind": kind,
                **targets,
                "origin": origin,
                "confidence": confidence,
                "evidence": evidence,
                "review_state": state,
            }
        )
    for paper in papers:
        paper.placement_rows = rows.get(paper.pk, [])  # type: ignore[attr-defined]  # read by PaperSerializer
