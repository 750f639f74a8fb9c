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
    stale = []
    for pk, title, key in Paper.objects.order_by("pk").values_list("pk", "title", "title_key"):
        new = folded_key(title, 255)
        if new != key:
            stale.append(Paper(pk=pk, title_key=new))
        if len(stale) >= CHUNK:
            Paper.objects.bulk_update(stale, ["title_key"])
            stale = []
    Paper.objects.bulk_update(stale, ["title_key"])


def recompute_name_keys(apps, schema_editor):  # type: ignore[no-untyped-def]
    Author = apps.get_model("papers", "Author")
    Authorship = apps.get_model("papers", "Authorship")
    groups: dict[str, list] = defaultdict(list)
    for author in Author.objects.order_by("pk").only(
        "pk", "name", "name_key", "curator_edited_fields"
    ):
        groups[folded_key(author.name, 300)].append(author)
    changed = []
    for key, authors in groups.items():
        keep = next((a for a in authors if "name" in (a.curator_edited_fields or [])), authors[0])
        others = [a for a in authors if a is not keep]
        if others:
            _merge(Authorship, keep, others)
            edited = set(keep.curator_edited_fields or [])
            for other in others:
                edited |= set(other.curator_edited_fields or [])
            keep.curator_edited_fields = sorted(edited)
            Author.objects.filter(pk__in=[a.pk for a in others]).delete()
            Author.objects.filter(pk=keep.pk).update(
                curator_edited_fields=keep.curator_edited_fields
            )
        if keep.name_key != key:
            keep.name_key = key
            changed.append(keep)
    # Two steps, because the unique index on name_key would refuse a new key that another
    # changing row still holds: every changing row first takes a placeholder of its own.
    for author in changed:
        Author.objects.filter(pk=author.pk).update(name_key=f"~migrating~{author.pk}")
    for author in changed:
        Author.objects.filter(pk=author.pk).update(name_key=author.name_key)


def _merge(Authorship, keep, others) -> None:  # type: ignore[no-untyped-def]
    """Move the authorships of `others` to `keep`; one place per paper, the earliest."""
    rows = list(
        Authorship.objects.filter(author__in=[keep, *others]).order_by("paper_id", "position")
    )
    seen = set()
    for row in rows:
        if row.paper_id in seen:
            row.delete()
            continue
        seen.add(row.paper_id)
        if row.author_id != keep.pk:
            Authorship.objects.filter(pk=row.pk).update(author_id=keep.pk)


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
