"""History rows for set-based writes, taken by the database from the rows just written.

django-simple-history records `save()` calls; bulk writes (harvests, imports, curation
actions on many rows) need their history too. Building historical objects in Python costs as
much as the write itself, so the snapshot is one `INSERT … SELECT` per chunk instead.
"""

from collections.abc import Sequence

from django.db import connection, models
from django.utils import timezone

from apps.core.actors import Actor, user_of

HISTORY_FIELDS = {
    "history_id",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user",
}


def history_user_set(instance: models.Model, user: Actor) -> None:
    """Name who makes the next save or delete of `instance` in its history.

    simple_history reads the undeclared attribute `_history_user`; setting it here, typed,
    keeps that private protocol in one place.
    """
    setattr(instance, "_history_user", user_of(user))  # noqa: B010 - a private attribute


def history_snapshot(
    model: type[models.Model],
    pks: Sequence[int],
    *,
    history_type: str,
    user: Actor = None,
    chunk: int = 900,
) -> None:
    """Record the current state of `model` rows `pks` in its history ("+" created,
    "~" changed), as done by `user` (None: a machine) now."""
    if not pks:
        return
    historical = model.history.model  # type: ignore[attr-defined]
    columns = [
        field.column
        for field in historical._meta.concrete_fields
        if field.name not in HISTORY_FIELDS
    ]
    quote = connection.ops.quote_name
    target = ", ".join(quote(c) for c in columns)
    user_id = user.pk if user is not None and user.is_authenticated else None
    pk_column = model._meta.pk.column if model._meta.pk is not None else None
    if pk_column is None:
        raise TypeError(f"{model.__name__} has no primary key column")
    now = timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(pks), chunk):
            part = list(pks[start : start + chunk])
            placeholders = ", ".join(["%s"] * len(part))
            cursor.execute(
                f"INSERT INTO {quote(historical._meta.db_table)} "  # noqa: S608 - names from _meta
                f"({target}, history_date, history_change_reason, history_type, history_user_id) "
                f"SELECT {target}, %s, NULL, %s, %s FROM {quote(model._meta.db_table)} "
                f"WHERE {quote(pk_column)} IN ({placeholders})",
                [now, history_type, user_id, *part],
            )
