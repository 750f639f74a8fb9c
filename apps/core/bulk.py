"""Fast inserts of plain rows for set-based writes (papers, authors, placements, links).

Model instances and Django's bulk_create cost more in Python than the database spends on the
rows; for link tables with no ids to read back, COPY (PostgreSQL) or executemany is enough.
"""

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from apps.core.fields import FoldedKeyField

_M = TypeVar("_M", bound=models.Model)


def insert_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Insert `rows` (tuples in `columns` order, database column names) into `model`'s table."""
    rows = list(rows)
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with (
                connection.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
                rows,
            )


def create_objects(model: type[_M], objs: Sequence[_M]) -> Sequence[_M]:
    """Insert new, unsaved `objs` and give each its primary key, like `bulk_create`.

    On PostgreSQL the ids are drawn from the table's sequence in one query and the rows go
    in by COPY: Django's bulk_create spends about a millisecond per row in Python here
    (expressions, per-value adaptation, client-side quoting), more than the database
    spends. Every field's `pre_save` still runs (auto dates, FoldedKeyField keys), and row
    triggers still fire. A conflicting row raises IntegrityError for the whole statement,
    as bulk_create does. Elsewhere it is `bulk_create`.
    """
    if not objs:
        return objs
    pk = model._meta.pk
    if connection.vendor != "postgresql" or not _sequence_keyed(model):
        return model._default_manager.bulk_create(objs, batch_size=1000)
    assert pk is not None  # a concrete model always has one
    assert pk.column is not None
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    convert = [_copy_value(f) for f in fields]

    def row(obj: _M, new_id: Any) -> list[Any]:
        setattr(obj, pk.attname, new_id)
        return [new_id, *(to(f.pre_save(obj, True)) for f, to in zip(fields, convert, strict=True))]

    _copy_with_new_ids(model, fields, objs, row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def create_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[Any]:
    """Insert new rows given as {attname: value} and return their primary keys, in order, without
    building a model instance per row (which alone costs more than the row's insert).

    Fields a row leaves out take their default; auto dates are now; a FoldedKeyField
    is always derived from its source, so no key goes stale. PostgreSQL: ids from the sequence,
    rows by COPY (see `create_objects`); elsewhere instances through `bulk_create`.
    A conflicting row raises IntegrityError for the whole statement.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql" or not _sequence_keyed(model):
        objs = [model(**row) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=1000)
        return [obj.pk for obj in objs]
    pk = model._meta.pk
    assert pk is not None  # a concrete model always has one
    fields = [f for f in model._meta.concrete_fields if f is not pk]
    now = timezone.now()
    fill: list[Callable[[dict[str, Any]], Any]] = []
    for field in fields:
        convert = _copy_value(field)
        if isinstance(field, FoldedKeyField):  # never a stale key: derived from its source
            fill.append(partial(_derived, source=field.source, key_for=field.key_for))
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            fill.append(partial(_given, name=field.attname, default=now, convert=_same))
        else:
            default = convert(field.get_default())
            fill.append(partial(_given, name=field.attname, default=default, convert=convert))
    return _copy_with_new_ids(
        model, fields, rows, lambda row, new_id: [new_id, *(get(row) for get in fill)]
    )


def _copy_with_new_ids(
    model: type[models.Model],
    fields: Sequence[models.Field],
    items: Sequence[Any],
    row: Callable[[Any, Any], list[Any]],
) -> list[Any]:
    """COPY one row per item (`row(item, new_id)`) with ids drawn from the table's sequence in
    one query; the ids, in order. The raw cursor's COPY errors are wrapped as Django's
    (IntegrityError, …) by hand."""
    pk = model._meta.pk
    assert pk is not None  # a concrete, sequence-keyed model
    assert pk.column is not None
    quote = connection.ops.quote_name
    table = model._meta.db_table
    names = ", ".join(quote(f.column or f.name) for f in [pk, *fields])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [quote(table), pk.column, len(items)],
        )
        ids = sorted(found[0] for found in cursor.fetchall())
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy,
        ):
            for item, new_id in zip(items, ids, strict=True):
                copy.write_row(row(item, new_id))
    return ids


def _sequence_keyed(model: type[models.Model]) -> bool:
    """Whether the primary key comes from a sequence (ids can be drawn before the COPY)."""
    return isinstance(model._meta.pk, models.AutoField)


def _derived(row: dict[str, Any], *, source: str, key_for: Callable[[str], str]) -> str:
    return key_for(row[source])


def _given(row: dict[str, Any], *, name: str, default: Any, convert: Callable[[Any], Any]) -> Any:
    return convert(row[name]) if name in row else default


def _same(value: Any) -> Any:
    return value


def _copy_value(field: models.Field) -> Callable[[Any], Any]:
    """How a field's Python value goes into COPY: JSON as text, the rest as psycopg dumps
    it (str, numbers, dates, lists)."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    return _same


def update_rows(
    model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Write `fields` of `objs` (saved instances of `model`) back: one UPDATE per chunk
    with a CASE per field, as `QuerySet.bulk_update` does — without building an expression
    object per value, which costs more in Python than the database spends on the rows."""
    if not objs or not fields:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    concrete = {field.name: field for field in model._meta.concrete_fields}
    pk_field = model._meta.pk
    assert pk_field is not None  # a concrete model always has one
    pk = quote(pk_field.column or pk_field.name)
    columns = [concrete[name] for name in fields]
    cast = connection.features.requires_casted_case_in_updates  # PostgreSQL types the CASE
    size = max(1, 900 // (2 * len(columns) + 1))  # parameters per statement stay modest
    with connection.cursor() as cursor:
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            sets: list[str] = []
            params: list[Any] = []
            whens = " ".join(["WHEN %s THEN %s"] * len(chunk))
            for field in columns:
                case = f"CASE {pk} {whens} END"
                if cast:
                    case = f"CAST({case} AS {field.cast_db_type(connection)})"
                sets.append(f"{quote(field.column or field.name)} = {case}")
                for obj in chunk:
                    value = getattr(obj, field.attname)
                    params += [obj.pk, field.get_db_prep_save(value, connection)]
            placeholders = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 - names from _meta
                f"WHERE {pk} IN ({placeholders})",
                [*params, *(obj.pk for obj in chunk)],
            )
