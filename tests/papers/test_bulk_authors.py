"""The set-based write path of imports: new rows by COPY (`create_objects`), authors created
in bulk with their history, and what a long, mostly new author list must still guarantee."""

import pytest
from django.db import IntegrityError, transaction

from apps.core.bulk import create_objects, create_rows
from apps.papers.models import Author, Authorship, Category, Paper
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.services import author_ids_get_or_create, paper_upsert_many
from apps.papers.services import upsert as upsert_module
from apps.papers.services.upsert import author_key
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

BIBTEX = Paper.Source.BIBTEX


def record(n: int, authors: list[str], **fields: object) -> PaperRecord:
    return PaperRecord(
        title=f"Spin lattice study number {n}",
        authors=[AuthorRecord(name) for name in authors],
        year=2020,
        label=f"entry {n}",
        **fields,  # type: ignore[arg-type]
    )


def test_create_objects_gives_ids_and_derives_keys_and_dates() -> None:
    papers = [
        Paper(title="Fïrst  Pàper", bibtex_fields={"note": "kept"}, source=BIBTEX),
        Paper(title="Second paper", arxiv_versions=[{"version": 1, "date": None}]),
    ]

    create_objects(Paper, papers)

    assert all(p.pk for p in papers)
    stored = Paper.objects.in_bulk([p.pk for p in papers])
    first, second = stored[papers[0].pk], stored[papers[1].pk]
    assert first.title_key == Paper._meta.get_field("title_key").key_for("Fïrst  Pàper")
    assert first.bibtex_fields == {"note": "kept"}
    assert second.arxiv_versions == [{"version": 1, "date": None}]
    assert first.created_at is not None
    assert first.updated_at is not None
    assert second.source == Paper.Source.MANUAL  # the field's default


def test_create_objects_refuses_a_duplicate_as_an_integrity_error() -> None:
    Author.objects.create(name="Ada Lovelace")

    with pytest.raises(IntegrityError), transaction.atomic():
        create_objects(Author, [Author(name="ADA  lovelace")])
    with pytest.raises(IntegrityError), transaction.atomic():
        create_rows(Author, [{"name": "Ada Lovelace."}])


def test_create_rows_fills_defaults_dates_and_keys_without_instances() -> None:
    ids = create_rows(Author, [{"name": "Jürgen Müller"}, {"name": "Ada Lovelace"}])

    stored = Author.objects.in_bulk(ids)
    assert [stored[pk].name for pk in ids] == ["Jürgen Müller", "Ada Lovelace"]
    assert stored[ids[0]].name_key == author_key("Jürgen Müller")
    assert stored[ids[0]].curator_edited_fields == []
    assert stored[ids[0]].created_at is not None


def test_authors_are_created_once_per_folded_key_with_history() -> None:
    existing = Author.objects.create(name="José García")
    names = {author_key(n): n for n in ["Jose Garcia", "Ada Lovelace", "Alan Turing"]}

    found = author_ids_get_or_create(names)

    assert found[author_key("José García")] == existing.pk
    assert Author.objects.get(pk=existing.pk).name == "José García"  # the stored name stays
    assert sorted(Author.objects.values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
        "José García",
    ]
    created = Author.history.filter(history_type="+")
    # The two new authors each have their "+" row; the existing one gains none.
    assert sorted(created.exclude(id=existing.pk).values_list("name", flat=True)) == [
        "Ada Lovelace",
        "Alan Turing",
    ]
    history_rows = Author.history.count()

    again = author_ids_get_or_create(names)

    assert again == found
    assert Author.objects.count() == 3
    assert Author.history.count() == history_rows


def test_an_author_another_writer_inserted_first_is_fetched(monkeypatch) -> None:
    """A concurrent import stored one of the same people after our lookup of existing keys
    (the lookup is blinded once to stand for that): the insert is undone and redone
    without that row, which is fetched instead."""
    other_writers = Author.objects.create(name="Alan Turing")
    real_filter = Author.objects.filter
    real_create = upsert_module.create_rows
    lookups, inserts = [], []

    def blind_first_lookup(*args, **kwargs):  # type: ignore[no-untyped-def]
        lookups.append(1)
        return Author.objects.none() if len(lookups) == 1 else real_filter(*args, **kwargs)

    def counted(model, rows):  # type: ignore[no-untyped-def]
        inserts.append(len(rows))
        return real_create(model, rows)

    monkeypatch.setattr(Author.objects, "filter", blind_first_lookup)
    monkeypatch.setattr(upsert_module, "create_rows", counted)
    names = {author_key(n): n for n in ["Ada Lovelace", "Alan Turing", "Grace Hopper"]}

    found = author_ids_get_or_create(names)

    assert inserts == [3, 2]
    assert set(found) == set(names)
    assert found[author_key("Alan Turing")] == other_writers.pk
    assert Author.objects.count() == 3


def test_a_long_author_list_lands_in_order_and_dedupes_against_the_base() -> None:
    PaperFactory(title="Something else entirely")
    known = Author.objects.create(name="Jürgen Müller")
    crowd = [f"Person{i} Family{i}" for i in range(129)]
    crowd[7] = "Jurgen Muller"  # the known author, written without accents
    crowd[50] = "Ada Lovelace"
    records = [
        record(1, crowd, doi="10.1000/one"),
        record(2, ["Ada Lovelace", "Grace Hopper"], doi="10.1000/two"),
    ]

    report = paper_upsert_many(records=records, source=BIBTEX)

    assert report.counts["created"] == 2
    big = Paper.objects.get(doi="10.1000/one")
    ordered = list(big.authorships.order_by("position").values_list("author__name", flat=True))
    assert len(ordered) == 129
    assert ordered[7] == "Jürgen Müller"
    assert ordered[:3] == ["Person0 Family0", "Person1 Family1", "Person2 Family2"]
    assert big.authorships.get(position=7).author_id == known.pk
    ada = Author.objects.get(name="Ada Lovelace")
    assert Authorship.objects.filter(author=ada).count() == 2
    assert Author.objects.count() == 1 + 128 + 1  # known, the crowd's new people, Grace
    assert Author.history.filter(history_type="+").exclude(id=known.pk).count() == 129
    assert Paper.history.filter(history_type="+", title__startswith="Spin").count() == 2


def test_rerunning_a_batch_changes_nothing_and_a_bad_record_is_skipped() -> None:
    records = [
        record(1, ["Ada Lovelace", "Alan Turing"], doi="10.1000/one"),
        record(2, ["Grace Hopper"], doi="not a doi"),
        record(3, ["Alan Turing", "Grace Hopper"], doi="10.1000/three"),
    ]

    first = paper_upsert_many(records=records, source=BIBTEX)
    snapshot = (
        Paper.objects.count(),
        Author.objects.count(),
        Authorship.objects.count(),
        Author.history.count(),
        Paper.history.count(),
    )
    second = paper_upsert_many(records=records, source=BIBTEX)

    assert [o.action for o in first.outcomes] == ["created", "failed", "created"]
    assert "malformed DOI" in first.outcomes[1].reason
    assert [o.action for o in second.outcomes] == ["unchanged", "failed", "unchanged"]
    assert snapshot == (2, 3, 4, 3, 2)
    assert (
        Paper.objects.count(),
        Author.objects.count(),
        Authorship.objects.count(),
        Author.history.count(),
        Paper.history.count(),
    ) == snapshot


def test_a_model_keyed_by_its_own_column_goes_in_through_bulk_create() -> None:
    """Category's key is its code, not a sequence: no ids to draw, so no COPY."""
    assert create_rows(Category, [{"code": "cs.SE", "name": "Software Engineering"}]) == ["cs.SE"]
    assert Category.objects.get(code="cs.SE").name == "Software Engineering"
