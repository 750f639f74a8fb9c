"""Whether a paper's record is complete, and clearing the "record incomplete" mark."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from apps.papers.models import Authorship, Paper

# A complete record has its authors, a date and an abstract.
COMPLETE = (
    Q(published_at__isnull=False)
    & ~Q(abstract="")
    & Exists(Authorship.objects.filter(paper=OuterRef("pk")))
)


@transaction.atomic
def papers_mark_complete(*, paper_ids: Iterable[int]) -> int:
    """Clear `record_incomplete` on those of `paper_ids` whose record is now complete (authors,
    date, abstract); returns how many. Incomplete ones keep the mark. Safe to call twice."""
    ids = list(paper_ids)
    if not ids:
        return 0
    return (
        Paper.objects.filter(pk__in=ids, record_incomplete=True)
        .filter(COMPLETE)
        .update(record_incomplete=False)
    )
