"""Reads that depend on who is asking: what each user may see, and counts for charts."""

from collections.abc import Sequence

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, QuerySet

from apps.core.exceptions import ApplicationError
from apps.papers.models import Paper, Placement

STATS_GROUPS = ("phase", "challenge", "direction", "year")


def is_curator(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Curators (and superusers) see the inbox, excluded papers and pending suggestions."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_perm("papers.change_paper"))
    )


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


def paper_counts(papers: QuerySet[Paper], group_by: Sequence[str]) -> list[dict]:
    """Distinct papers of `papers` counted per group, for charts and the gap map.

    `group_by` names one or two of phase, challenge, direction, year; taxonomy groups count
    accepted placements (a paper placed in two challenges counts once in each). Rows are dicts
    with the group values (slugs and the year) and `count`, in a stable order.
    """
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
    if not taxonomy:
        rows = (
            papers.order_by()
            .values("year")
            .annotate(count=Count("pk", distinct=True))
            .order_by("year")
        )
        return list(rows)
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


def taxonomy_paper_counts() -> dict[str, dict[int, int]]:
    """Included papers with an accepted placement, counted per phase, challenge and direction.

    `{"phase": {phase_id: n}, "challenge": {…}, "direction": {…}}`, three grouped queries
    whatever the size of the taxonomy (a paper placed twice in one phase counts once there).
    Items without papers are absent. The same for every user: it describes the public
    knowledge base.
    """
    placements = Placement.objects.accepted().filter(paper__status=Paper.Status.INCLUDED)
    counts: dict[str, dict[int, int]] = {}
    for level in ("phase", "challenge", "direction"):
        rows = (
            placements.filter(**{f"{level}__isnull": False})
            .order_by()
            .values_list(f"{level}_id")
            .annotate(n=Count("paper_id", distinct=True))
        )
        counts[level] = dict(rows)
    return counts
