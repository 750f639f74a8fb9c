"""Reading OpenAlex works defensively: fields that are null, missing, old-style or of the
wrong type leave the record empty there and never fail the work."""

from datetime import date

import pytest

from apps.ingestion.openalex.parser import WorkError, parse_bytes, parse_document, parse_work
from tests.ingestion.openalex.standin import list_page, work


def test_a_full_work() -> None:
    raw = work(
        2741809807,
        doi="10.48550/arXiv.2106.09685",
        title="LoRA",
        cited_by=1234,
        references=[1, 2, 2],
        venue="ICLR",
        venue_type="conference",
        oa_url="https://arxiv.org/pdf/2106.09685",
        publication_date="2021-06-17",
    )

    record = parse_work(raw, as_of=date(2026, 12, 1))

    assert record.openalex_id == "W2741809807"
    assert record.doi == "10.48550/arxiv.2106.09685"
    assert record.title == "LoRA"
    assert record.publication_date == date(2021, 6, 17)
    assert record.venue == "ICLR"
    assert record.oa_url == "https://arxiv.org/pdf/2106.09685"
    assert record.cited_by_count == 1234
    assert record.referenced_works == ["W1", "W2"]
    assert record.as_of == date(2026, 12, 1)
    assert record.label == "OpenAlex W2741809807 (DOI 10.48550/arxiv.2106.09685)"


def test_nulls_everywhere_leave_the_record_empty() -> None:
    raw = {
        "id": "W5",
        "doi": None,
        "title": None,
        "display_name": None,
        "publication_date": None,
        "primary_location": None,
        "open_access": None,
        "best_oa_location": None,
        "cited_by_count": None,
        "referenced_works": None,
        "abstract_inverted_index": None,
    }

    record = parse_work(raw)

    assert (record.openalex_id, record.doi, record.title, record.venue, record.oa_url) == (
        "W5",
        None,
        "",
        "",
        "",
    )
    assert record.publication_date is None
    assert record.cited_by_count is None
    assert record.referenced_works is None  # unknown: the paper's list is left alone
    assert record.as_of is None


def test_fields_of_the_wrong_type_are_ignored() -> None:
    raw = {
        "id": "https://openalex.org/w9",
        "doi": 42,
        "publication_date": "June 2021",
        "primary_location": {"source": "ICSE"},
        "open_access": {"oa_url": "javascript:alert(1)"},
        "cited_by_count": True,
        "referenced_works": ["https://openalex.org/W3", None, 17, "not-an-id"],
    }

    record = parse_work(raw)

    assert record.openalex_id == "W9"
    assert (record.doi, record.publication_date, record.venue, record.oa_url) == (
        None,
        None,
        "",
        "",
    )
    assert record.cited_by_count is None
    assert record.referenced_works == ["W3"]


def test_a_repository_is_not_a_venue_and_the_old_host_venue_is_read() -> None:
    preprint = work(1, venue="arXiv (Cornell University)", venue_type="repository")
    legacy = {"id": "W2", "host_venue": {"display_name": "TOSEM", "type": "journal"}}

    assert parse_work(preprint).venue == ""
    assert parse_work(legacy).venue == "TOSEM"


def test_open_access_falls_back_to_the_best_locations_pdf() -> None:
    raw = work(1, oa_url=None, pdf_url="https://example.org/paper.pdf")

    assert parse_work(raw).oa_url == "https://example.org/paper.pdf"


def test_an_empty_reference_list_is_known_to_be_empty() -> None:
    raw = work(1, references=[])

    assert parse_work(raw).referenced_works == []


def test_the_works_updated_date_is_its_date_when_the_answer_has_none() -> None:
    assert parse_work(work(1)).as_of == date(2026, 11, 30)


def test_a_work_without_an_id_is_an_error_naming_its_title() -> None:
    with pytest.raises(WorkError, match="no OpenAlex id \\('Lost'\\)"):
        parse_work({"id": None, "title": "Lost"})
    with pytest.raises(WorkError, match="not a JSON object"):
        parse_work(["W1"])


def test_a_list_page_and_a_single_work_are_told_apart() -> None:
    page = list_page([work(1), {"title": "no id"}, work(2)], count=3, next_cursor="abc")

    listed = parse_document(page)
    single = parse_document(work(3))

    assert listed.is_list
    assert listed.count == 3
    assert listed.next_cursor == "abc"
    assert [w.openalex_id for w in listed.works] == ["W1", "W2"]
    assert listed.errors == [("result 2", "no OpenAlex id ('no id')")]
    assert not single.is_list
    assert [w.openalex_id for w in single.works] == ["W3"]


def test_openalex_errors_and_other_documents_are_refused() -> None:
    with pytest.raises(WorkError, match="OpenAlex error: Invalid query"):
        parse_document({"error": "Invalid query", "message": "bad filter"})
    with pytest.raises(WorkError, match="no id, no results"):
        parse_document({"hello": "world"})
    with pytest.raises(WorkError, match="not JSON"):
        parse_bytes(b"<html>404</html>")
    with pytest.raises(WorkError, match="expected a JSON object"):
        parse_bytes(b"[1, 2]")
