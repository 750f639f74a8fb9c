"""Title and author-name keys become FoldedKeyFields (derived on every write) and are
recomputed with the transliterating fold (`Łukasz` = `Lukasz`, `Søren` = `Soren`).

Authors whose names now fold to the same key are one person written two ways: they are merged
into one row (the one a curator edited the name of, else the oldest), their authorships moved
to it (a paper that listed both keeps the earlier place), the curator-edited field names
united. Stored citation keys are not touched: a paper keeps the key it is cited by.
"""

from collections import defaultdict

from django.db import migrations

import apps.core.fields
from apps.core.text import folded_key

CHUNK = 2000


def recompute_title_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    Paper = apps.get_model("papers", "Paper")
    stale = [
        (folded_key(title, 255), pk)
        for pk, title, key in Paper.objects.order_by("pk").values_list("pk", "title", "title_key")
        if folded_key(title, 255) != key
    ]
    # One prepared UPDATE per row: bulk_update's CASE over thousands of ids is far slower here.
    table = schema_editor.quote_name(Paper._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(stale), CHUNK):
            cursor.executemany(
                f"UPDATE {table} SET title_key = %s WHERE id = %s",  # noqa: S608
                stale[start : start + CHUNK],
            )


def recompute_name_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    Author = apps.get_model("papers", "Author")
    Authorship = apps.get_model("papers", "Authorship")
    groups: dict[str, list] = defaultdict(list)
    for author in Author.objects.order_by("pk").only(
        "pk", "name", "name_key", "curator_edited_fields"
    ):
        groups[folded_key(author.name, 300)].append(author)
    keep_of: dict[int, int] = {}  # merged author id → the author it becomes
    changed, edited_changed = [], []
    for key, authors in groups.items():
        keep = next((a for a in authors if "name" in (a.curator_edited_fields or [])), authors[0])
        edited = set(keep.curator_edited_fields or [])
        for other in authors:
            if other is not keep:
                keep_of[other.pk] = keep.pk
                edited |= set(other.curator_edited_fields or [])
        if edited != set(keep.curator_edited_fields or []):
            keep.curator_edited_fields = sorted(edited)
            edited_changed.append(keep)
        if keep.name_key != key:
            keep.name_key = key
            changed.append(keep)
    if keep_of:
        _merge(Author, Authorship, keep_of)
    Author.objects.bulk_update(edited_changed, ["curator_edited_fields"], batch_size=500)
    # Two steps, because the unique index on name_key would refuse a new key that another
    # changing row still holds: every changing row first takes a placeholder of its own.
    table = schema_editor.quote_name(Author._meta.db_table)
    with schema_editor.connection.cursor() as cursor:
        for rows in (
            [(f"~migrating~{author.pk}", author.pk) for author in changed],
            [(author.name_key, author.pk) for author in changed],
        ):
            for start in range(0, len(rows), CHUNK):
                cursor.executemany(
                    f"UPDATE {table} SET name_key = %s WHERE id = %s",  # noqa: S608
                    rows[start : start + CHUNK],
                )


def _merge(Author, Authorship, keep_of: dict[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Move the authorships of merged authors to the author they become; a paper that listed
    two of them keeps one place, the earliest. Then delete the merged authors."""
    involved = set(keep_of) | set(keep_of.values())
    rows = list(
        Authorship.objects.filter(author_id__in=involved)
        .order_by("paper_id", "position")
        .only("pk", "paper_id", "author_id", "position")
    )
    seen, doomed, moved = set(), [], []
    for row in rows:
        person = keep_of.get(row.author_id, row.author_id)
        if (row.paper_id, person) in seen:
            doomed.append(row.pk)
            continue
        seen.add((row.paper_id, person))
        if person != row.author_id:
            row.author_id = person
            moved.append(row)
    for start in range(0, len(doomed), CHUNK):
        Authorship.objects.filter(pk__in=doomed[start : start + CHUNK]).delete()
    Authorship.objects.bulk_update(moved, ["author_id"], batch_size=500)
    merged = sorted(keep_of)
    for start in range(0, len(merged), CHUNK):
        Author.objects.filter(pk__in=merged[start : start + CHUNK]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0005_record_links_and_enrichment"),
    ]

    operations = [
        migrations.AlterField(
            model_name="author",
            name="name_key",
            field=apps.core.fields.FoldedKeyField(
                help_text="Folded name (lower case, no accents or punctuation) that imports "
                "match on; derived from the name on every write.",
                max_length=300,
                source="name",
                unique=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalauthor",
            name="name_key",
            field=apps.core.fields.FoldedKeyField(
                db_index=True,
                help_text="Folded name (lower case, no accents or punctuation) that imports "
                "match on; derived from the name on every write.",
                max_length=300,
                source="name",
            ),
        ),
        migrations.AlterField(
            model_name="paper",
            name="title_key",
            field=apps.core.fields.FoldedKeyField(db_index=True, max_length=255, source="title"),
        ),
        migrations.RunPython(recompute_title_keys, migrations.RunPython.noop),
        migrations.RunPython(recompute_name_keys, migrations.RunPython.noop),
    ]
