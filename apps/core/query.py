"""Query helpers that keep list pages at a constant number of queries."""

from django.db import models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def subquery_count(
    model: type[models.Model], fk_field: str, *, distinct: str = "pk", **filters: object
) -> Coalesce:
    """Per-row count of distinct `distinct` values among the `model` rows that point at the
    outer row (and match `filters`), without JOIN fan-out.

    Annotating with `Count()` across two relations multiplies rows; a correlated subquery per
    count keeps each number right and the query count at one.
    """
    counts = (
        model._default_manager.filter(**{fk_field: OuterRef("pk")}, **filters)
        .order_by()
        .values(fk_field)
        .annotate(n=Count(distinct, distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=models.IntegerField()), 0)
