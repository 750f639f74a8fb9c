"""The paper API carries complete records: every author, links, kind, venue, citations (count
and date), references and cited-by within sellm; filters `kind`, `has_code`, `cited_by_min`;
ordering by citations; RIS beside BibTeX and CSL-JSON — all in the OpenAPI schema."""

import datetime

import pytest
import rispy

from apps.papers.models import Citation, Paper
from tests.api.helpers import body
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/papers/"


@pytest.fixture
def base() -> dict[str, Paper]:
    bench = PaperFactory(
        title="A benchmark of LLM test oracles",
        authors=["Ann Ng", "Bo Li", "Cy Ode"],
        kind=Paper.Kind.BENCHMARK,
        code_url="https://github.com/example/oracles",
        oa_url="https://example.org/oracles.pdf",
        venue="ICSE 2025",
        curator_note="Places oracles under test.",
        cited_by_count=120,
        cited_by_as_of=datetime.date(2026, 11, 30),
        references_outside=17,
    )
    study = PaperFactory(
        title="An empirical study", kind=Paper.Kind.EMPIRICAL_STUDY, cited_by_count=5
    )
    unknown = PaperFactory(title="Never enriched", arxiv_id=None)
    hidden = PaperFactory(title="In the inbox", status=Paper.Status.INBOX)
    Citation.objects.create(citing=bench, cited=study)
    Citation.objects.create(citing=bench, cited=hidden)
    Citation.objects.create(citing=unknown, cited=bench)
    return {"bench": bench, "study": study, "unknown": unknown, "hidden": hidden}


def titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, body(response)[:300]
    return [row["title"] for row in response.json()["results"]]


def test_a_paper_carries_its_complete_record(anon, base) -> None:
    bench = base["bench"]

    data = anon.get(f"{URL}{bench.pk}/").json()

    assert [a["name"] for a in data["authors"]] == ["Ann Ng", "Bo Li", "Cy Ode"]
    assert data["kind"] == "benchmark"
    assert data["venue"] == "ICSE 2025"
    assert data["code_url"] == "https://github.com/example/oracles"
    assert data["oa_url"] == "https://example.org/oracles.pdf"
    assert data["pdf_url"] == f"https://arxiv.org/pdf/{bench.arxiv_id}"
    assert data["arxiv_url"] == f"https://arxiv.org/abs/{bench.arxiv_id}"
    assert data["curator_note"] == "Places oracles under test."
    assert (data["cited_by_count"], data["cited_by_as_of"]) == (120, "2026-11-30")
    assert data["references_outside"] == 17
    assert [r["title"] for r in data["references"]] == ["An empirical study"]  # not the hidden
    assert data["references"][0]["url"].endswith(f"/api/v1/papers/{base['study'].pk}/")
    assert [r["title"] for r in data["cited_by"]] == ["Never enriched"]
    unknown = anon.get(f"{URL}{base['unknown'].pk}/").json()
    assert (unknown["cited_by_count"], unknown["cited_by_as_of"], unknown["kind"]) == (
        None,
        None,
        "",
    )


def test_curators_see_citations_of_hidden_papers_too(curator_api, base) -> None:
    data = curator_api.get(f"{URL}{base['bench'].pk}/").json()

    assert {r["title"] for r in data["references"]} == {"An empirical study", "In the inbox"}


def test_filters_kind_has_code_cited_by_min_and_ordering_by_citations(anon, base) -> None:
    assert titles(anon.get(URL, {"kind": "benchmark"})) == ["A benchmark of LLM test oracles"]
    assert titles(anon.get(URL, {"has_code": "true"})) == ["A benchmark of LLM test oracles"]
    assert "A benchmark of LLM test oracles" not in titles(anon.get(URL, {"has_code": "false"}))
    assert titles(anon.get(URL, {"cited_by_min": 6})) == ["A benchmark of LLM test oracles"]
    assert titles(anon.get(URL, {"cited_by_min": 0, "ordering": "cited_by_count"})) == [
        "An empirical study",
        "A benchmark of LLM test oracles",
    ]
    ordered = titles(anon.get(URL, {"ordering": "-cited_by_count"}))
    assert ordered == ["A benchmark of LLM test oracles", "An empirical study", "Never enriched"]
    for bad in ({"kind": "novel"}, {"cited_by_min": "many"}, {"cited_by_min": -1}):
        response = anon.get(URL, bad)
        assert response.status_code == 400, bad
        assert next(iter(bad)) in str(response.json())  # the answer names the parameter


def test_ris_export_of_a_list_and_a_paper_round_trips(anon, base) -> None:
    response = anon.get(URL, {"format": "ris", "kind": "benchmark"})
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    (record,) = rispy.loads(body(response))
    assert record["title"] == "A benchmark of LLM test oracles"
    assert record["authors"] == ["Ng, Ann", "Li, Bo", "Ode, Cy"]
    assert record["type_of_reference"] == "JOUR"
    assert record["secondary_title"] == "ICSE 2025"
    assert "https://github.com/example/oracles" in record["urls"]

    detail = anon.get(
        f"{URL}{base['study'].pk}/", HTTP_ACCEPT="application/x-research-info-systems"
    )
    (one,) = rispy.loads(body(detail))
    assert one["title"] == "An empirical study"


def test_the_schema_documents_the_new_fields_filters_and_format(anon) -> None:
    schema = anon.get("/api/schema/", {"format": "json"}).json()
    listing = schema["paths"]["/api/v1/papers/"]["get"]
    parameters = {p["name"]: p for p in listing["parameters"]}
    assert {"kind", "has_code", "cited_by_min", "ordering"} <= set(parameters)
    assert "-cited_by_count" in str(parameters["ordering"]["schema"])
    assert "application/x-research-info-systems" in listing["responses"]["200"]["content"]
    paper = schema["components"]["schemas"]["Paper"]["properties"]
    for name in ("kind", "code_url", "oa_url", "pdf_url", "cited_by_count", "cited_by_as_of"):
        assert name in paper
    assert paper["references"]["items"]["$ref"].endswith("PaperBrief")
