"""Folding (one function for every key) and derived keys that no ORM write path leaves stale,
plus the migration that recomputed the stored keys and merged authors that became one."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F

from apps.core.text import fold
from apps.papers.models import Author, Paper
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


@pytest.mark.django_db(transaction=True)
def test_the_migration_recomputes_keys_and_merges_authors_that_fold_alike() -> None:
    executor = MigrationExecutor(connection)
    before, after = (
        [("papers", "0005_record_links_and_enrichment")],
        [("papers", "0006_folded_keys_recomputed")],
    )
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    OldPaper, OldAuthor = old.get_model("papers", "Paper"), old.get_model("papers", "Authorship")
    Person = old.get_model("papers", "Author")
    # Keys as the NFKD-only fold wrote them: "Ł" and "ø" survived, so these were 3 people.
    plain = Person.objects.create(name="Lukasz Kaiser", name_key="lukasz kaiser")
    accented = Person.objects.create(
        name="Łukasz Kaiser", name_key="łukasz kaiser", curator_edited_fields=["name"]
    )
    soren = Person.objects.create(name="Søren Hauberg", name_key="søren hauberg")
    both = OldPaper.objects.create(title="Ærø Øresund", title_key="ærø øresund", author_names="x")
    one = OldPaper.objects.create(title="Plain Title", title_key="plain title")
    OldAuthor.objects.create(paper=both, author=plain, position=0)
    OldAuthor.objects.create(paper=both, author=soren, position=1)
    OldAuthor.objects.create(paper=both, author=accented, position=2)
    OldAuthor.objects.create(paper=one, author=plain, position=0)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps
    Paper_, Author_ = new.get_model("papers", "Paper"), new.get_model("papers", "Author")
    Authorship_ = new.get_model("papers", "Authorship")

    keys = dict(Paper_.objects.values_list("pk", "title_key"))
    assert keys == {both.pk: "aero oresund", one.pk: "plain title"}
    people = {a.name: a.name_key for a in Author_.objects.all()}
    assert people == {"Łukasz Kaiser": "lukasz kaiser", "Søren Hauberg": "soren hauberg"}
    rows = list(
        Authorship_.objects.order_by("paper_id", "position").values_list(
            "paper_id", "author_id", "position"
        )
    )
    assert rows == [
        (both.pk, accented.pk, 0),
        (both.pk, soren.pk, 1),
        (one.pk, accented.pk, 0),
    ]

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
