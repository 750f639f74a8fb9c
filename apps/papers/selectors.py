"""Reads that depend on who is asking: what each user may see, and counts for charts."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import TruncDate

from apps.core.exceptions import ApplicationError
from apps.core.query import subquery_count
from apps.core.roles import is_curator
from apps.core.text import fold
from apps.papers.counts import summary_rows, summary_totals
from apps.papers.models import (
    NEWEST_FIRST,
    Author,
    Authorship,
    Citation,
    Paper,
    PaperCount,
    Placement,
    RelatedPaper,
)
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

STATS_GROUPS = ("phase", "challenge", "direction", "year")


def papers_visible_to(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Paper]:
    """Every paper for curators; included papers only for everyone else."""
    papers = Paper.objects.all()
    return papers if is_curator(user) else papers.included()


def placements_visible_to(user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Placement]:
    """Every placement for curators; accepted placements of included papers for the public."""
    placements = Placement.objects.all()
    if is_curator(user):
        return placements
    return placements.accepted().filter(paper__status=Paper.Status.INCLUDED)


def paper_counts(
    papers: QuerySet[Paper], group_by: Sequence[str], *, public: bool = False
) -> list[dict]:
    """Distinct papers of `papers` counted per group, for charts and the gap map.

    `group_by` names one or two of phase, challenge, direction, year; taxonomy groups count
    accepted placements (a paper placed in two challenges counts once in each). Rows are dicts
    with the group values (slugs and the year) and `count`, in a stable order.

    `public=True` says `papers` is every included paper, unfiltered: the answer is read from
    the summary of counts (apps/papers/counts.py) — a few small queries instead of grouping
    the whole table — wherever the summary holds it (one taxonomy level, with or without year).
    """
    groups = _checked_groups(group_by)
    if public and len({g for g in groups if g != "year"}) <= 1:
        return _summary_counts(groups)
    taxonomy = {g for g in groups if g != "year"}
    if not taxonomy:
        rows = (
            papers.order_by()
            .values("year")
            .annotate(count=Count("pk", distinct=True))
            .order_by("year")
        )
        return [dict(row) for row in rows]
    placements = Placement.objects.accepted().filter(paper__in=papers.order_by().values("pk"))
    lookups, ordering = {}, []
    for group in groups:
        if group == "year":
            lookups["paper__year"] = "year"
            ordering.append("paper__year")
        else:
            placements = placements.filter(**{f"{group}__isnull": False})
            lookups[f"{group}__slug"] = group
            ordering += [f"{group}__phase__order" if group != "phase" else "phase__order"]
            ordering += [] if group == "phase" else [f"{group}__position"]
            ordering.append(f"{group}__slug")
    rows = (
        placements.order_by()
        .values(*lookups)
        .annotate(count=Count("paper", distinct=True))
        .order_by(*ordering)
    )
    return [{lookups[key]: row[key] for key in lookups} | {"count": row["count"]} for row in rows]


def facet_counts(papers: QuerySet[Paper]) -> dict[str, dict]:
    """What `paper_counts` gives by phase, by challenge and by year, and `category_counts`
    (every category), for one set of papers, in one statement: the set — a search's matches,
    say — is evaluated once for the four, not once each.

    `{"phase": {slug: n}, "challenge": {slug: n}, "year": {year: n}, "category": {code: n}}`
    (a year may be None); distinct papers, accepted placements only.
    """
    sql, params = papers.order_by().values("pk").query.sql_with_params()
    placement = Placement._meta.db_table
    accepted = Placement.ReviewState.ACCEPTED
    in_set = "IN (SELECT id FROM facet_papers)"
    taxonomy = [
        f"SELECT '{level}', t.slug, count(DISTINCT pl.paper_id) FROM {placement} pl "  # noqa: S608 - names from _meta; values are parameters
        f"JOIN {model._meta.db_table} t ON t.id = pl.{level}_id "
        f"WHERE pl.review_state = %s AND pl.paper_id {in_set} GROUP BY t.slug"
        for level, model in (("phase", Phase), ("challenge", Challenge))
    ]
    materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
    statement = (
        f"WITH facet_papers(id) AS {materialized}({sql}) "  # noqa: S608 - Django's own SQL
        + " UNION ALL ".join(
            [
                *taxonomy,
                f"SELECT 'year', CAST(year AS text), count(*) FROM {Paper._meta.db_table} "  # noqa: S608
                f"WHERE id {in_set} GROUP BY year",
                f"SELECT 'category', category_id, count(DISTINCT paper_id) "  # noqa: S608
                f"FROM {Paper.categories.through._meta.db_table} WHERE paper_id {in_set} "
                "GROUP BY category_id",
            ]
        )
    )
    counts: dict[str, dict] = {"phase": {}, "challenge": {}, "year": {}, "category": {}}
    with connection.cursor() as cursor:
        cursor.execute(statement, [*params, accepted, accepted])
        for facet, key, n in cursor.fetchall():
            if facet == "year":
                key = None if key is None else int(key)
            counts[facet][key] = n
    return counts


TAXONOMY_MODELS: dict[str, type[Challenge] | type[ResearchDirection]] = {
    "challenge": Challenge,
    "direction": ResearchDirection,
}


def _summary_counts(groups: list[str]) -> list[dict]:
    """`paper_counts` of every included paper for at most one taxonomy group (and the year),
    from the summary: one query for the cells, one for the taxonomy's slugs and order. Rows
    and their order are those of the grouped query, NULL years placed where the database
    places them (last on PostgreSQL, first on SQLite)."""
    level = next((g for g in groups if g != "year"), None)
    by_year = "year" in groups
    cells: dict[tuple[str, int | None], int] = {}
    for item, year, n in summary_rows(level or "all"):
        key = (item, year if by_year else None)
        cells[key] = cells.get(key, 0) + n
    keys: dict[str, tuple[str, tuple]] = {}
    if level == "phase":
        keys = {str(pk): (slug, (order, slug)) for pk, slug, order in
                Phase.objects.values_list("pk", "slug", "order")}  # fmt: skip
    elif level is not None:
        rows = TAXONOMY_MODELS[level].objects.values_list("pk", "slug", "phase__order", "position")
        keys = {str(pk): (slug, (order, position, slug)) for pk, slug, order, position in rows}
    nulls_last = connection.vendor == "postgresql"

    def year_key(year: int | None) -> tuple:
        if year is None:
            return (1, 0) if nulls_last else (0, 0)
        return (0 if nulls_last else 1, year)

    found = []
    for (item, year), n in cells.items():
        if level is not None and item not in keys:
            continue  # a taxonomy row deleted since: the grouped query would not name it
        row: dict = {}
        order: list = []
        for group in groups:
            if group == "year":
                row["year"], order = year, [*order, year_key(year)]
            else:
                row[group], order = keys[item][0], [*order, keys[item][1]]
        row["count"] = n
        found.append((order, row))
    found.sort(key=lambda pair: pair[0])
    return [row for _order, row in found]


def _checked_groups(group_by: Sequence[str]) -> list[str]:
    """The groups of a count, in order, once each; raises for what cannot be counted."""
    groups = list(dict.fromkeys(group_by))
    unknown = set(groups) - set(STATS_GROUPS)
    if not groups or unknown:
        raise ApplicationError(
            f"group_by takes one or two of {', '.join(STATS_GROUPS)}"
            + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
        )
    taxonomy = {g for g in groups if g != "year"}
    if len(groups) > 2 or (len(taxonomy) == 2 and "phase" not in taxonomy):
        raise ApplicationError(
            "group_by combines at most two groups, and two taxonomy levels only as a phase "
            "with its challenges or directions (a placement names one target)"
        )
    return groups


# --- Reads for the researchers' HTML pages (issue 4) -------------------------------------


def phases_overview(papers: QuerySet[Paper], *, public: bool = False) -> list:
    """The phases in lifecycle order, each with `paper_count` (of `papers`, by accepted
    placement), `challenge_count` and `open_direction_count`. A fixed number of queries,
    however many phases; `public`: `papers` is every included paper (see `paper_counts`)."""

    phases = list(
        Phase.objects.annotate(
            challenge_count=subquery_count(Challenge, "phase"),
            open_direction_count=subquery_count(
                ResearchDirection, "phase", status=ResearchDirection.Status.OPEN
            ),
        ).order_by("order")
    )
    if public:  # the summary's cells by phase id: the phases are loaded already
        by_id = summary_totals("phase")
        for phase in phases:
            phase.paper_count = by_id.get(str(phase.pk), 0)  # type: ignore[attr-defined]
        return phases
    counts = {r["phase"]: r["count"] for r in paper_counts(papers, ["phase"])}
    for phase in phases:
        phase.paper_count = counts.get(phase.slug, 0)  # type: ignore[attr-defined]
    return phases


def newest_papers(papers: QuerySet[Paper], *, limit: int = 10) -> QuerySet[Paper]:
    """The `limit` papers of `papers` included on the latest day, newest research first.
    A whole batch (the survey's seed, a day's harvest) is included at once: ordering within
    the day by the papers' own dates shows the newest work of every phase, not the batch's
    last rows."""
    return papers.filter(included_at__isnull=False).order_by(
        TruncDate("included_at").desc(), *NEWEST_FIRST
    )[:limit]


def challenge_paper_samples(
    challenges: Sequence, user: AbstractBaseUser | AnonymousUser, *, per_challenge: int = 5
) -> dict[int, list[Placement]]:
    """For each challenge id, its newest `per_challenge` accepted placements (with the paper
    loaded) of the papers `user` may see.

    One query for any number of challenges: one newest-first slice per challenge, so that
    PostgreSQL plans each with its own challenge's statistics — walking the newest included
    papers (an index) until five are placed in a busy challenge, sorting a quiet one's few
    placements — instead of ranking every placement of every challenge (~35 ms at 100,000
    papers).
    """
    if not challenges:
        return {}
    newest = (F("paper__published_at").desc(nulls_last=True), F("paper_id").desc())
    placements = Placement.objects.accepted()
    if not is_curator(user):  # papers_visible_to, as a condition on the joined paper
        placements = placements.filter(paper__status=Paper.Status.INCLUDED)
    slices = [
        placements.filter(challenge=challenge).order_by(*newest).values("pk")[:per_challenge]
        for challenge in challenges
    ]
    if connection.features.supports_slicing_ordering_in_compound:
        chosen = Q(pk__in=slices[0].union(*slices[1:], all=True))
    else:  # SQLite: no LIMIT within a UNION; one IN per challenge instead
        chosen = reduce(or_, (Q(pk__in=part) for part in slices))
    ranked = (
        Placement.objects.filter(chosen).select_related("paper").order_by("challenge_id", *newest)
    )
    samples: dict[int, list[Placement]] = {}
    for placement in ranked:
        if placement.challenge_id is not None:
            samples.setdefault(placement.challenge_id, []).append(placement)
    return samples


RELATED_CANDIDATES = 10


def related_papers(paper: Paper, papers: QuerySet[Paper], *, limit: int = 8) -> list[Paper]:
    """Papers of `papers` related to `paper`, best first, each with `related_reasons`
    ("shares Test oracles under non-determinism", "similar: metamorphic, oracle").

    Reads the precomputed neighbours (`RelatedPaper`: content similarity with a bonus for
    shared challenges, see services/related.py) and names the challenges they share now.
    A paper the refresh has not seen yet falls back to the papers sharing most of its
    challenges, counted live. A fixed number of queries either way.
    """
    neighbours = {
        related_id: (similarity, words)
        for related_id, similarity, words in RelatedPaper.objects.filter(paper=paper)
        .order_by("rank")
        .values_list("related_id", "similarity", "words")[:RELATED_CANDIDATES]
    }
    own = Placement.objects.accepted().filter(paper=paper, challenge__isnull=False)
    if neighbours:
        candidates = set(neighbours)
    else:
        shared = Placement.objects.accepted().filter(
            paper=OuterRef("pk"), challenge__in=own.values("challenge")
        )
        shared_count = (
            shared.order_by()
            .values("paper")
            .annotate(n=Count("challenge", distinct=True))
            .values("n")
        )
        candidates = set(
            papers.exclude(pk=paper.pk)
            .filter(Exists(shared))  # narrows the rows before the count subquery runs
            .annotate(shared_challenges=Subquery(shared_count, output_field=IntegerField()))
            .order_by("-shared_challenges", "-published_at", "-id")
            .values_list("pk", flat=True)[:RELATED_CANDIDATES]
        )
    if not candidates:
        return []
    names: dict[int, list[str]] = {}
    rows = (
        Placement.objects.accepted()
        .filter(paper_id__in=candidates, challenge__in=own.values("challenge"))
        .order_by("challenge__phase__order", "challenge__position", "challenge__name")
        .values_list("paper_id", "challenge__name")
    )
    for paper_id, name in rows:
        if name not in names.setdefault(paper_id, []):
            names[paper_id].append(name)
    found = list(papers.exclude(pk=paper.pk).filter(pk__in=candidates))
    scores: dict[int, float] = {}
    for other in found:
        similarity, words = neighbours.get(other.pk, (0.0, []))
        reasons = [f"shares {name}" for name in names.get(other.pk, [])]
        if words:
            reasons.append("similar: " + ", ".join(words))
        other.related_reasons = reasons  # type: ignore[attr-defined]  # read by the template
        scores[other.pk] = len(names.get(other.pk, [])) + 2 * similarity
    found.sort(key=lambda p: (-scores[p.pk], -(p.year or 0), -p.pk))
    return found[:limit]


def category_counts(
    papers: QuerySet[Paper], *, limit: int = 20, public: bool = False, year: int | None = None
) -> list[dict]:
    """The `limit` most frequent categories among `papers`: dicts with `category` (its code)
    and `count`, most papers first.

    `public`: `papers` is every included paper (of `year`, if given), and the counts come
    from the summary of counts instead of a grouped query.
    """
    if public:
        totals = summary_totals("category", year=year)
        ranked = sorted(totals.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]
        return [{"category": code, "count": n} for code, n in ranked]
    through = Paper.categories.through
    rows = (
        through.objects.filter(paper__in=papers.order_by().values("pk"))
        .values("category")
        .annotate(count=Count("paper", distinct=True))
        .order_by("-count", "category")[:limit]
    )
    return [dict(row) for row in rows]


def taxonomy_paper_counts() -> dict[str, dict[int, int]]:
    """Included papers with an accepted placement, counted per phase, challenge and direction.

    `{"phase": {phase_id: n}, "challenge": {…}, "direction": {…}}`, read from the summary of
    counts: one query whatever the size of the base (a paper placed twice in one
    phase counts once there). Items without papers are absent. The same for every user: it
    describes the public knowledge base.
    """
    counts: dict[str, dict[int, int]] = {"phase": {}, "challenge": {}, "direction": {}}
    cells = PaperCount.objects.filter(dimension__in=list(counts), papers__gt=0).order_by()
    for level, item, n in cells.values_list("dimension", "item", "papers"):
        counts[level][int(item)] = counts[level].get(int(item), 0) + n
    return counts


CITATION_LIST_LIMIT = 50


def citation_neighbours(
    paper: Paper, papers: QuerySet[Paper], *, limit: int = CITATION_LIST_LIMIT
) -> dict[str, tuple[list[Paper], int]]:
    """The papers of `papers` that `paper` cites ("references") and that cite it
    ("cited_by"), newest first, at most `limit` each, with each list's full length.

    Two queries however many citations (a window function counts the whole list beside the
    rows shown); the rows carry what a short list shows (title, year, authors as one string).
    """
    lookups = {
        "references": Citation.objects.filter(citing=paper, cited=OuterRef("pk")),
        "cited_by": Citation.objects.filter(cited=paper, citing=OuterRef("pk")),
    }
    found: dict[str, tuple[list[Paper], int]] = {}
    for name, links in lookups.items():
        rows = (
            papers.filter(Exists(links))
            .only("pk", "title", "year", "author_names", "published_at", "status")
            .annotate(total=Window(Count("pk")))
            .order_by("-published_at", "-id")
        )
        shown: list[Paper] = list(rows[:limit])
        found[name] = (shown, int(getattr(shown[0], "total", 0)) if shown else 0)
    return found


# --- Authors (issue 12) ---------------------------------------------------------------------


def authors_with_papers(papers: QuerySet[Paper], *, search: str = "") -> QuerySet[Author]:
    """Authors of at least one of `papers`, alphabetical, with `paper_count` (of `papers`).
    `search` matches any part of the name, accents and case ignored."""
    visible = papers.order_by().values("pk")
    authors = Author.objects.filter(
        Exists(Authorship.objects.filter(author=OuterRef("pk"), paper__in=visible))
    )
    if search:
        key = fold(search)
        authors = authors.filter(Q(name_key__contains=key) | Q(name__icontains=search))
    return authors.annotate(
        paper_count=subquery_count(Authorship, "author", distinct="paper", paper__in=visible)
    ).order_by("name", "pk")


@dataclass
class AuthorProfile:
    """What an author page shows beyond the paper list."""

    coauthors: list[dict]
    years: list[dict]
    phases: list[dict]
    challenges: list[dict]


def author_profile(
    author: Author, papers: QuerySet[Paper], *, coauthors: int = 30
) -> AuthorProfile:
    """Co-authors (most shared papers first), papers per year, and the phases and challenges
    of the author's papers among `papers`. Four queries, whatever the numbers."""
    theirs = (
        papers.filter(Exists(Authorship.objects.filter(paper=OuterRef("pk"), author=author)))
        .order_by()
        .values("pk")
    )
    partners = (
        Authorship.objects.filter(paper__in=theirs)
        .exclude(author=author)
        .values("author_id", "author__name")
        .annotate(count=Count("paper", distinct=True))
        .order_by("-count", "author__name")[:coauthors]
    )
    years = (
        Paper.objects.filter(pk__in=theirs)
        .values("year")
        .annotate(count=Count("pk"))
        .order_by("-year")
    )
    placed = Placement.objects.accepted().filter(paper__in=theirs)
    phases = (
        placed.values("phase__slug", "phase__name")
        .annotate(count=Count("paper", distinct=True))
        .order_by("phase__order")
    )
    challenges = (
        placed.filter(challenge__isnull=False)
        .values("challenge__slug", "challenge__name", "phase__name")
        .annotate(count=Count("paper", distinct=True))
        .order_by("-count", "challenge__phase__order", "challenge__position")
    )
    return AuthorProfile(
        coauthors=[
            {"pk": r["author_id"], "name": r["author__name"], "count": r["count"]} for r in partners
        ],
        years=[{"year": r["year"], "count": r["count"]} for r in years if r["year"] is not None],
        phases=[
            {"slug": r["phase__slug"], "name": r["phase__name"], "count": r["count"]}
            for r in phases
        ],
        challenges=[
            {
                "slug": r["challenge__slug"],
                "name": r["challenge__name"],
                "phase": r["phase__name"],
                "count": r["count"],
            }
            for r in challenges
        ],
    )
