"""Invalid values are refused with a 400 that names them, never silently ignored."""

import json

import pytest

from apps.ingestion.models import IngestRun
from apps.papers.models import Placement
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, ResearchDirectionFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/papers/?has_doi=maybe", "has_doi"),
        ("/api/v1/papers/?has_doi=", "has_doi"),
        ("/api/v1/papers/?status=", "status"),
        ("/api/v1/papers/?source=", "source"),
        ("/api/v1/papers/?phase=", "phase"),
        ("/api/v1/papers/?year=", "year"),
        ("/api/v1/papers/?format=", "format"),
        ("/api/v1/stats/?group_by=year&has_doi=perhaps", "has_doi"),
        ("/api/v1/challenges/?provenance=", "provenance"),
        ("/api/v1/directions/?status=", "status"),
        ("/api/v1/directions/?provenance=", "provenance"),
        ("/api/v1/placements/?origin=", "origin"),
        ("/api/v1/phases/?fields=", "fields"),
        ("/api/v1/papers/?fields=,", "fields"),
    ],
)
def test_an_invalid_or_empty_filter_is_a_400_naming_it(
    curator_api, url: str, parameter: str
) -> None:
    response = curator_api.get(url)

    assert response.status_code == 400, response.content
    assert parameter in response.json()["errors"]


@pytest.mark.parametrize("format_", ["bibtex", "ris", "csljson"])
@pytest.mark.parametrize("detail", [False, True])
def test_an_export_refuses_an_unknown_field_like_json_does(
    anon, format_: str, detail: bool
) -> None:
    """Found by fuzzing: an export never builds the read serializer, so `fields` went unchecked."""
    paper = PaperFactory()
    path = f"/api/v1/papers/{paper.pk}/" if detail else "/api/v1/papers/"

    response = anon.get(f"{path}?fields=,,nonsense&format={format_}")

    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert "nonsense" in response.json()["errors"]["fields"][0]


@pytest.mark.parametrize(
    ("paging", "parameter"),
    [
        ("page_size=100000", "page_size"),
        ("page_size=0", "page_size"),
        ("page=0", "page"),
        ("page=-1", "page"),
        ("cursor=zzz", "cursor"),
        ("cursor=", "cursor"),
        ("page=2&cursor=abc", "cursor"),
    ],
)
def test_an_export_refuses_paging_the_schema_calls_invalid(
    anon, paging: str, parameter: str
) -> None:
    """An export takes every row and ignores paging, but not paging that is wrong."""
    PaperFactory()

    response = anon.get(f"/api/v1/papers/?{paging}&format=bibtex")

    assert response.status_code == 400, response.content
    assert parameter in response.json()["errors"]


def test_an_export_takes_every_row_whatever_valid_page_is_asked(anon) -> None:
    PaperFactory.create_batch(3)

    response = anon.get("/api/v1/papers/?page=2&page_size=1&format=csljson")

    assert response.status_code == 200
    assert len(json.loads(b"".join(response.streaming_content))) == 3


@pytest.mark.parametrize(("value", "count"), [("true", 1), ("false", 1), ("1", 1), ("no", 1)])
def test_has_doi_takes_true_and_false(anon, value: str, count: int) -> None:
    PaperFactory(doi="10.1/with")
    PaperFactory(doi=None)

    response = anon.get(f"/api/v1/papers/?has_doi={value}")

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_an_empty_search_is_still_no_search(anon) -> None:
    PaperFactory()

    response = anon.get("/api/v1/papers/?q=")

    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("paper", [1.5, "1.5", True, "1.0", [1], "1"])
def test_a_placement_of_a_fractional_paper_id_is_refused(curator_api, paper: object) -> None:
    real = PaperFactory()
    challenge = ChallengeFactory()
    value = real.pk + 0.5 if paper == 1.5 else paper

    response = curator_api.post(
        "/api/v1/placements/", {"paper": value, "challenge": challenge.slug}, format="json"
    )

    assert response.status_code == 400, response.content
    assert "paper" in response.json()["errors"]
    assert not Placement.objects.exists()


def test_a_form_sends_the_paper_id_as_text(curator_api) -> None:
    paper = PaperFactory()
    challenge = ChallengeFactory()

    response = curator_api.post(
        "/api/v1/placements/",
        {"paper": str(paper.pk), "challenge": challenge.slug},
        format="multipart",  # as a browser form
    )

    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("body", "field", "expected"),
    [
        ({"title": "T", "comment": 0}, "comment", "Expected a string."),
        ({"title": "T", "primary_category": 0}, "primary_category", "Expected a string."),
        ({"title": "T", "year": "2024"}, "year", "Expected a whole number."),
        ({"title": "T", "year": True}, "year", "Expected a whole number."),
        ({"title": "T", "authors": ["Ada", 7]}, "authors", "Expected a string for each item."),
    ],
)
def test_json_values_of_the_wrong_type_are_refused(
    curator_api, body: dict, field: str, expected: str
) -> None:
    response = curator_api.post("/api/v1/papers/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"][field] == [expected]


def test_an_empty_form_value_is_refused_where_the_field_takes_none(curator_api) -> None:
    paper = PaperFactory()

    response = curator_api.put(
        f"/api/v1/papers/{paper.pk}/",
        "title=T&revised_at=",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert "revised_at" in response.json()["errors"]


def test_an_unknown_key_in_an_ingest_request_is_a_400_naming_it(curator_api) -> None:
    response = curator_api.post("/api/v1/ingest/", {"query": "testing", "max": 60}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"max"}
    assert "arxiv_ids, query, max_results" in body["errors"]["max"][0]
    assert not IngestRun.objects.exists()


def test_ids_for_arxiv_ids_is_named_not_answered_with_either_or(curator_api) -> None:
    response = curator_api.post("/api/v1/ingest/", {"ids": ["2401.01234"]}, format="json")

    assert response.status_code == 400
    assert "ids" in response.json()["errors"]


def test_an_ingest_request_with_neither_ids_nor_query_says_so(curator_api) -> None:
    response = curator_api.post("/api/v1/ingest/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input: Give arxiv_ids or a query."


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/v1/papers/", {"title": "T", "titel": "typo"}),
        ("/api/v1/phases/", {"slug": "p", "order": 9, "name": "P", "colour": "red"}),
        ("/api/v1/bibtex-imports/", {"text": "@misc{a, title={A}}", "dryrun": True}),
        ("/api/v1/refresh/", {"papers": [1], "dryrun": True}),
        ("/api/v1/listings/", {"title": "T", "query": "", "colour": "red"}),
    ],
)
def test_unknown_keys_in_a_write_are_a_400_naming_them(curator_api, url: str, body: dict) -> None:
    response = curator_api.post(url, body, format="json")

    assert response.status_code == 400, response.content
    unknown = next(key for key in body if key in ("titel", "colour", "dryrun"))
    assert unknown in response.json()["errors"]


def test_a_put_of_a_get_answer_is_accepted(curator_api) -> None:
    phase = PhaseFactory(slug="testing")
    answer = curator_api.get(f"/api/v1/phases/{phase.slug}/").json()
    answer["name"] = "Testing and evaluation"

    response = curator_api.put(f"/api/v1/phases/{phase.slug}/", answer, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Testing and evaluation"


def test_a_bibtex_import_with_neither_file_nor_text_says_so(curator_api) -> None:
    response = curator_api.post("/api/v1/bibtex-imports/", {}, format="json")

    assert response.status_code == 400
    assert "not both" not in response.json()["detail"]
    assert "Send a BibTeX file (`file`) or text (`text`)." in response.json()["detail"]


def test_an_object_where_a_list_belongs_is_a_400(curator_api) -> None:
    """DRF would read an object's keys as the list's items: `{}` would clear the list."""
    direction = ResearchDirectionFactory()
    answer = curator_api.get(f"/api/v1/directions/{direction.slug}/").json()
    body = {**answer, "phase": answer["phase"]["slug"], "challenges": {}}

    response = curator_api.put(f"/api/v1/directions/{direction.slug}/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"]["challenges"] == ["Expected a list."]


def test_a_citation_minimum_past_the_column_is_a_400(anon, db) -> None:  # type: ignore[no-untyped-def]
    response = anon.get("/api/v1/stats/", {"cited_by_min": 9223211619})

    assert response.status_code == 400
    assert "cited_by_min" in response.json()["errors"]


@pytest.mark.parametrize("name", ["doi", "arxiv_id", "has_doi"])
def test_a_percent_sign_in_a_bad_filter_value_is_a_400(anon, db, name: str) -> None:  # type: ignore[no-untyped-def]
    """The message echoes the value; a '%' in it must not be read as a format string."""
    response = anon.get("/api/v1/stats/", {name: "50%d off"})

    assert response.status_code == 400
    assert name in response.json()["errors"]
