"""Curators' writes to authors and categories: add, rename, merge, delete.

An author is one row per folded name (`Author.name_key`, derived from the name on every
write), and every paper keeps its author names in `Paper.author_names` for search and for
matching imports by first author. So a rename refreshes the names of the author's papers, and a
name that folds like another author's is that author: it is merged, never duplicated.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.history import history_snapshot, history_user_set
from apps.core.services import curated_save
from apps.core.text import collapse_whitespace
from apps.papers.models import Author, Authorship, Category, Paper
from apps.papers.services.upsert import AUTHOR_SEPARATOR, author_key


class AuthorNameTaken(ApplicationError):
    """Another author already has a name that folds to the same key."""

    status_code = 409

    def __init__(self, name: str, other: Author) -> None:
        super().__init__(
            f"{name!r} is the same name as author #{other.pk} ({other.name}) once accents, case "
            "and punctuation are ignored; merge the two authors instead."
        )
        self.other = other


def author_conflict(*, name: str, exclude: int | None = None) -> Author | None:
    """The author (other than `exclude`) whose name folds like `name`, if any."""
    same = Author.objects.filter(name_key=author_key(name))
    return (same.exclude(pk=exclude) if exclude is not None else same).first()


def _clean_name(name: str) -> str:
    name = collapse_whitespace(name)
    if not author_key(name):
        raise ApplicationError(f"{name!r} has no letters or digits to be a name.")
    return name


@transaction.atomic
def author_create(*, name: str, actor: Actor) -> Author:
    """A curator adds an author. Raises AuthorNameTaken if the name is an existing author's
    (so calling twice fails the second time rather than duplicating)."""
    name = _clean_name(name)
    other = author_conflict(name=name)
    if other is not None:
        raise AuthorNameTaken(name, other)
    author = Author(name=name)
    history_user_set(author, actor)
    curated_save(instance=author, changed_fields=["name"])
    return author


@transaction.atomic
def author_edit(*, author: Author, data: dict, actor: Actor) -> Author:
    """A curator renames an author (`data`: `name`, optionally `curator_edited_fields`).

    The name key follows the name, and the author's papers get their author names refreshed,
    so a corrected import matches both. A name that folds like another author's raises
    AuthorNameTaken. Safe to call twice.
    """
    changed = []
    if "curator_edited_fields" in data and data["curator_edited_fields"] != (
        author.curator_edited_fields
    ):
        author.curator_edited_fields = list(data["curator_edited_fields"])
        changed.append("curator_edited_fields")
    renamed = "name" in data and _clean_name(data["name"]) != author.name
    if renamed:
        author.name = _clean_name(data["name"])
        other = author_conflict(name=author.name, exclude=author.pk)
        if other is not None:
            raise AuthorNameTaken(author.name, other)
        changed.append("name")
    if changed:
        history_user_set(author, actor)
        curated_save(instance=author, changed_fields=changed)
    if renamed:
        paper_author_names_refresh(
            paper_ids=author.authorships.values_list("paper_id", flat=True), actor=actor
        )
    return author


@transaction.atomic
def author_merge(*, into: Author, others: Iterable[Author], actor: Actor) -> int:
    """Merge `others` into `into` (one person written several ways): their authorships move
    to `into` (a paper that listed two of them keeps the earliest place), the curator-edited
    field names are united, the merged rows are deleted and the papers' author names
    refreshed. Returns how many authors were merged away; calling twice merges nothing more.
    """
    others = [other for other in others if other.pk != into.pk]
    if not others:
        return 0
    everyone = [into.pk, *(other.pk for other in others)]
    rows = Authorship.objects.filter(author_id__in=everyone)
    paper_ids = set(rows.values_list("paper_id", flat=True))
    first = {
        row["paper_id"]: row["first"]
        for row in rows.values("paper_id").annotate(first=Min("position")).order_by()
    }
    # One place per paper: keep the earliest, then point it at `into`.
    keep = set()
    for row in rows.order_by("paper_id", "position").values("pk", "paper_id", "position"):
        if row["position"] == first[row["paper_id"]]:
            keep.add(row["pk"])
    rows.exclude(pk__in=keep).delete()
    Authorship.objects.filter(pk__in=keep).update(author_id=into.pk)
    edited = set(into.curator_edited_fields)
    for other in others:
        edited |= set(other.curator_edited_fields)
        history_user_set(other, actor)
        other.delete()
    if edited != set(into.curator_edited_fields):
        into.curator_edited_fields = sorted(edited)
        history_user_set(into, actor)
        into.save(update_fields=["curator_edited_fields", "updated_at"])
    paper_author_names_refresh(paper_ids=paper_ids, actor=actor)
    return len(others)


@transaction.atomic
def author_delete(*, author: Author, actor: Actor) -> None:
    """Delete an author who wrote no paper of the knowledge base; refuse otherwise."""
    count = author.authorships.count()
    if count:
        raise ApplicationError(
            f"{author.name} is an author of {count} paper(s); change those author lists or "
            "merge the author into another first."
        )
    history_user_set(author, actor)
    author.delete()


def paper_author_names_refresh(*, paper_ids: Iterable[int], actor: Actor) -> int:
    """Rewrite `Paper.author_names` of the given papers from their authorships (search and
    first-author matching read it). Returns how many papers changed; safe to call twice."""
    ids = sorted(set(paper_ids))
    if not ids:
        return 0
    names: dict[int, list[str]] = {pk: [] for pk in ids}
    for paper_id, name in (
        Authorship.objects.filter(paper_id__in=ids)
        .order_by("paper_id", "position")
        .values_list("paper_id", "author__name")
    ):
        names[paper_id].append(name)
    changed = []
    now = timezone.now()
    for paper in Paper.objects.filter(pk__in=ids).only("pk", "author_names"):
        joined = AUTHOR_SEPARATOR.join(names[paper.pk])
        if paper.author_names != joined:
            paper.author_names = joined
            paper.updated_at = now
            changed.append(paper)
    if changed:
        Paper.objects.bulk_update(changed, ["author_names", "updated_at"], batch_size=500)
        history_snapshot(Paper, [p.pk for p in changed], history_type="~", user=actor)
    return len(changed)


@transaction.atomic
def category_save(*, code: str, name: str) -> Category:
    """Add a category or rename it (`code` is its identity). Safe to call twice."""
    code = code.strip()
    if not code:
        raise ApplicationError("A category needs a code such as cs.SE.")
    category, _ = Category.objects.update_or_create(code=code, defaults={"name": name.strip()})
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Delete a category; papers lose it from their categories."""
    category.delete()
