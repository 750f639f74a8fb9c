"""Fast inserts of plain rows for set-based writes (authorships, category links).

Model instances and Django's bulk_create cost more in Python than the database spends on the
rows; for link tables with no ids to read back, COPY (PostgreSQL) or executemany is enough.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


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
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608
                rows,
            )


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
