"""Folding (one function for every key) and derived keys that no ORM write path leaves stale,
plus the migration that recomputed the stored keys and merged authors that became one."""

import importlib

import pytest
from django.db import connection
from django.db.models import F

from apps.core.text import fold
from apps.papers.models import Author, Authorship, Paper
from tests.factories import AuthorFactory, PaperFactory


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("Łukasz Kaiser", "Lukasz Kaiser"),
        ("Søren Hauberg", "Soren Hauberg"),
        ("Schölkopf, B.", "Scholkopf B"),
        ("Straße", "Strasse"),
        ("Ærø Đorđević", "Aero Dordevic"),
        ("Иван Петров", "Ivan Petrov"),
        ("Kaiser, {\\L}ukasz", "Kaiser Lukasz"),
        ("{GPT}-4: {A} Study", "GPT 4 a study"),
    ],
)
def test_every_letter_folds_to_its_plain_spelling(written: str, plain: str) -> None:
    assert fold(written) == fold(plain)
    assert fold(written).isascii()


def test_han_names_are_not_transliterated_into_each_other() -> None:
    assert fold("王伟") != fold("汪伟")  # both "Wang Wei" once transliterated
    assert fold("王伟 (Wei Wang)") == "王伟 wei wang"


@pytest.mark.django_db
def test_keys_follow_their_source_through_every_orm_write() -> None:
    paper = PaperFactory(title="Old Title")
    other = PaperFactory(title="Another")
    author = AuthorFactory(name="Xinyi Huo")

    paper.title = "Saved Ünïcode"
    paper.save(update_fields=["title"])
    assert Paper.objects.get(pk=paper.pk).title_key == "saved unicode"

    Paper.objects.filter(pk=paper.pk).update(title="Updated Title")
    assert Paper.objects.get(pk=paper.pk).title_key == "updated title"

    paper.title, other.title = "Bulk One", "Bulk Øther"
    Paper.objects.bulk_update([paper, other], ["title"])
    assert sorted(Paper.objects.values_list("title_key", flat=True)) == ["bulk one", "bulk other"]

    Author.objects.filter(pk=author.pk).update(name="Xinyi Hou")
    assert Author.objects.get(pk=author.pk).name_key == "xinyi hou"

    created = Author.objects.bulk_create([Author(name="Łukasz Kaiser", name_key="stale")])
    assert Author.objects.get(pk=created[0].pk).name_key == "lukasz kaiser"

    made = Author.objects.create(name="Søren Hauberg")
    assert made.name_key == "soren hauberg"

    again = Author(pk=made.pk, name="Søren Hauberg-Ørsted", name_key="stale")
    Author.objects.bulk_create(
        [again], update_conflicts=True, unique_fields=["id"], update_fields=["name"]
    )
    assert Author.objects.get(pk=made.pk).name_key == "soren hauberg orsted"


@pytest.mark.django_db
def test_a_source_set_by_a_sql_expression_is_refused() -> None:
    PaperFactory()
    with pytest.raises(TypeError, match="title_key cannot be derived"):
        Paper.objects.update(title=F("abstract"))


@pytest.mark.django_db
def test_the_migration_recomputes_keys_and_merges_authors_that_fold_alike() -> None:
    """Rows whose keys an older fold wrote (set here with SQL, past the field) are rekeyed by
    the migration's functions, and authors who now fold alike are merged."""
    from django.apps import apps as registry

    migration = importlib.import_module("apps.papers.migrations.0006_folded_keys_recomputed")
    plain = Author.objects.create(name="Lukasz Kaiser")
    # Named apart first: today's fold would refuse a second "Lukasz Kaiser".
    accented = Author.objects.create(name="Someone Else", curator_edited_fields=["name"])
    soren = Author.objects.create(name="Søren Hauberg")
    both = Paper.objects.create(title="Ærø Øresund", author_names="x")
    one = Paper.objects.create(title="Plain Title")
    for paper, author, position in ((both, plain, 0), (both, soren, 1), (both, accented, 2)):
        Authorship.objects.create(paper=paper, author=author, position=position)
    Authorship.objects.create(paper=one, author=plain, position=0)
    # Keys as the NFKD-only fold wrote them: "Ł" and "ø" survived, so these were 3 people.
    with connection.cursor() as cursor:
        for pk, key in ((plain.pk, "lukasz kaiser"), (accented.pk, "łukasz kaiser"),
                        (soren.pk, "søren hauberg")):  # fmt: skip
            cursor.execute("UPDATE papers_author SET name_key = %s WHERE id = %s", [key, pk])
        cursor.execute(
            "UPDATE papers_author SET name = %s WHERE id = %s", ["Łukasz Kaiser", accented.pk]
        )
        cursor.execute(
            "UPDATE papers_paper SET title_key = %s WHERE id = %s", ["ærø øresund", both.pk]
        )

    editor = connection.schema_editor()  # only quotes names and lends its connection here
    migration.recompute_title_keys(registry, editor)
    migration.recompute_name_keys(registry, editor)

    keys = dict(Paper.objects.values_list("pk", "title_key"))
    assert keys == {both.pk: "aero oresund", one.pk: "plain title"}
    people = {a.name: a.name_key for a in Author.objects.all()}
    assert people == {"Łukasz Kaiser": "lukasz kaiser", "Søren Hauberg": "soren hauberg"}
    rows = list(
        Authorship.objects.order_by("paper_id", "position").values_list(
            "paper_id", "author_id", "position"
        )
    )
    assert rows == [
        (both.pk, accented.pk, 0),
        (both.pk, soren.pk, 1),
        (one.pk, accented.pk, 0),
    ]
