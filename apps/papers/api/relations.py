"""What a page of papers shows beside each row — authors, visible placements, categories,
citations — as the page loaders of `PaperSerializer`'s fields (`apps.core.api.rows`).

Each loader runs one query for the whole page, as plain rows already shaped as the answer:
prefetching model instances and running them through nested serializers cost more than the
database work itself (bench/api_bench.py). Placements and cited or citing papers are those the
request's user may see: accepted placements and included papers for the public, all for
curators.
"""

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import F

from apps.core.api.fields import UrlTemplate
from apps.core.api.rows import PageLoader
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


def _user(context: Mapping[str, Any]) -> AbstractBaseUser | AnonymousUser:
    return getattr(context.get("request"), "user", None) or AnonymousUser()


def load_authors(ids: list[int], context: Mapping[str, Any]) -> dict[int, list[dict]]:
    """Authors in order, as `AuthorshipSerializer` shows them."""
    url = UrlTemplate("api:author-detail", context.get("request"))
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
    return rows


def load_categories(ids: list[int], context: Mapping[str, Any]) -> dict[int, list[str]]:
    """Category codes, sorted."""
    codes: dict[int, list[str]] = defaultdict(list)
    through = Paper.categories.through.objects.filter(paper_id__in=ids)
    for paper_id, code in through.order_by("category_id").values_list("paper_id", "category_id"):
        codes[paper_id].append(code)
    return codes


def citation_loader(own: str, other: str) -> PageLoader:
    """Papers linked by a citation (`own` → `other`: citing → cited gives the references), as
    `PaperBriefSerializer` shows them, newest first."""

    def load(ids: list[int], context: Mapping[str, Any]) -> dict[int, list[dict]]:
        url = UrlTemplate("api:paper-detail", context.get("request"))
        visible = papers_visible_to(_user(context)).order_by().values("pk")
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
        return rows

    return load


load_references = citation_loader("citing", "cited")
load_cited_by = citation_loader("cited", "citing")


def load_placements(ids: list[int], context: Mapping[str, Any]) -> dict[int, list[dict]]:
    """The placements the user may see, as `PlacementBriefSerializer` shows them."""
    request = context.get("request")
    urls = {
        "placement": UrlTemplate("api:placement-detail", request),
        "phase": UrlTemplate("api:phase-detail", request, "slug"),
        "challenge": UrlTemplate("api:challenge-detail", request, "slug"),
        "direction": UrlTemplate("api:direction-detail", request, "slug"),
    }
    rows: dict[int, list[dict]] = defaultdict(list)
    placements = (
        placements_visible_to(_user(context))
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
    return rows
