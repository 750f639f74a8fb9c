"""Curators' edits of the search vocabulary (synonyms). Search caches the list; every write
here empties that cache once the transaction commits, so the next search reads the edit."""

from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from apps.papers.models import Synonym
from apps.papers.search import invalidate_synonyms


@transaction.atomic
def synonym_save(*, synonym: Synonym, actor: AbstractBaseUser | AnonymousUser | None) -> Synonym:
    """Create or change a synonym pair (validated; history records `actor`). Safe to call
    twice: saving an unchanged pair changes nothing a reader can see."""
    synonym.term = " ".join(synonym.term.split())
    synonym.equivalent = " ".join(synonym.equivalent.split())
    synonym._history_user = actor  # type: ignore[attr-defined]
    synonym.full_clean()
    synonym.save()
    _invalidate()
    return synonym


@transaction.atomic
def synonym_delete(
    *, synonyms: Iterable[Synonym], actor: AbstractBaseUser | AnonymousUser | None
) -> int:
    """Delete synonym pairs (history records `actor`); returns how many were deleted."""
    deleted = 0
    for synonym in synonyms:
        synonym._history_user = actor  # type: ignore[attr-defined]
        synonym.delete()
        deleted += 1
    _invalidate()
    return deleted


def _invalidate() -> None:
    # Now, for this transaction's own reads; and after commit, in case another process
    # cached the old list in between.
    invalidate_synonyms()
    transaction.on_commit(invalidate_synonyms)
