"""The OpenAPI schema says what the API does: who may call it, bounds, exclusive parameters,
bodies that take no other fields, and every status the server may answer."""

import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def parameter(schema: dict, path: str, name: str) -> dict:
    return next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)


def operations(schema: dict):  # type: ignore[no-untyped-def]
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def test_public_reads_declare_anonymous_access_and_writes_do_not(schema: dict) -> None:
    curators_only = ("/api/v1/ingest", "/api/v1/harvest-sources", "/api/v1/bibtex-imports")
    for path, method, operation in operations(schema):
        anonymous = {} in operation.get("security", [])
        public_read = method == "get" and not path.startswith(curators_only)
        assert anonymous == public_read, (method, path)


@pytest.mark.parametrize("name", ["year", "year_min", "year_max"])
def test_years_are_bounded(schema: dict, name: str) -> None:
    for path in ("/api/v1/papers/", "/api/v1/stats/"):
        assert parameter(schema, path, name)["schema"] == {
            "type": "integer",
            "minimum": 1800,
            "maximum": 2200,
        }


def test_the_placements_paper_filter_is_a_positive_integer(schema: dict) -> None:
    assert parameter(schema, "/api/v1/placements/", "paper")["schema"] == {
        "type": "integer",
        "minimum": 1,
    }


def test_cursor_and_page_describe_their_exclusivity_and_an_empty_cursor(schema: dict) -> None:
    cursor = parameter(schema, "/api/v1/papers/", "cursor")
    page = parameter(schema, "/api/v1/papers/", "page")

    assert "Not combinable with `page` or `ordering`" in cursor["description"]
    assert "empty `cursor=`" in cursor["description"]
    assert cursor["schema"]["minLength"] == 1
    assert "Not combinable with `cursor` (400)" in page["description"]


def test_filters_refuse_blank_values_in_the_schema_too(schema: dict) -> None:
    phase = parameter(schema, "/api/v1/papers/", "phase")["schema"]["items"]
    q = parameter(schema, "/api/v1/papers/", "q")["schema"]

    assert (phase["minLength"], phase["pattern"]) == (1, r"\S")
    assert "minLength" not in q  # an empty search searches nothing
    assert q["maxLength"] == 500


def test_fields_is_a_comma_separated_list_of_known_names(schema: dict) -> None:
    fields = parameter(schema, "/api/v1/papers/", "fields")

    assert (fields["style"], fields["explode"]) == ("form", False)
    assert "title" in fields["schema"]["items"]["enum"]


def test_every_operation_documents_414_and_writes_413(schema: dict) -> None:
    for path, method, operation in operations(schema):
        assert "414" in operation["responses"], (method, path)
        if method != "get":
            assert "413" in operation["responses"], (method, path)


def test_request_bodies_take_no_other_fields(schema: dict) -> None:
    components = schema["components"]["schemas"]
    bodies = {name: c for name, c in components.items() if name.endswith("Request")}

    assert len(bodies) >= 10
    assert all(c["additionalProperties"] is False for c in bodies.values())
    assert components["IngestRequestRequest"]["oneOf"] == [
        {"required": ["arxiv_ids"]},
        {"required": ["query"]},
    ]
