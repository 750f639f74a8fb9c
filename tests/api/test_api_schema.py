"""The OpenAPI schema documents every endpoint, parameter and error; the docs page serves its
assets locally; and schemathesis, run in-process against the schema, finds no server error and
no response that disagrees with the schema."""

import json
import re

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.core.api.tokens import api_token_issue
from tests.factories import (
    ChallengeFactory,
    IngestRunFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db

ERRORS = {"400", "401", "403", "404", "429"}


@pytest.fixture
def schema(anon) -> dict:
    response = anon.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_endpoint_is_in_the_schema(schema):
    paths = set(schema["paths"])

    assert schema["openapi"].startswith("3.")
    for name in ("phases", "challenges", "directions", "papers", "placements", "authors"):
        assert f"/api/v1/{name}/" in paths
    assert {"/api/v1/stats/", "/api/v1/ingest/", "/api/v1/ingest-runs/{id}/"} <= paths
    assert "/api/v1/placements/{id}/accept/" in paths


def test_every_operation_documents_its_errors(schema):
    for path, method, operation in operations(schema):
        documented = set(operation["responses"])
        assert documented >= ERRORS, (path, method, ERRORS - documented)
        error = operation["responses"]["400"]["content"]["application/json"]["schema"]
        assert error == {"$ref": "#/components/schemas/Error"}
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_every_parameter_is_documented(schema):
    papers = {p["name"]: p for p in schema["paths"]["/api/v1/papers/"]["get"]["parameters"]}

    filters = {"phase", "challenge", "direction", "year", "year_min", "year_max", "author"}
    filters |= {"category", "source", "status", "has_doi", "arxiv_id", "doi", "q", "ordering"}
    filters |= {"kind", "has_code", "cited_by_min"}
    assert filters | {"page", "page_size", "cursor", "fields", "format"} <= set(papers)
    assert papers["format"]["schema"]["enum"] == ["bibtex", "csljson", "json", "ris"]
    assert papers["page_size"]["schema"]["maximum"] == 200
    assert "relevance" in papers["ordering"]["schema"]["enum"]
    stats = {p["name"] for p in schema["paths"]["/api/v1/stats/"]["get"]["parameters"]}
    assert {"group_by", "phase", "q", "year"} <= stats
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            assert parameter.get("schema"), (path, method, parameter["name"])
            if parameter["in"] == "query" and parameter["name"] not in ("format", "year"):
                assert parameter.get("description"), (path, method, parameter["name"])


def test_exports_are_documented_as_their_own_formats(schema):
    content = schema["paths"]["/api/v1/papers/"]["get"]["responses"]["200"]["content"]

    assert content["application/x-bibtex"]["schema"]["type"] == "string"
    assert content["application/vnd.citationstyles.csl+json"]["schema"]["type"] == "array"
    assert content["application/json"]["schema"]["$ref"].endswith("PaginatedPaperList")


def test_docs_page_uses_local_assets_only(anon):
    response = anon.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    # No inline script: the content security policy would block it and leave the page blank.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    init = re.search(r"""<script src=["']([^"']*script[^"']*)["']""", html)
    assert init is not None
    init_script = anon.get(init.group(1).replace("&amp;", "&"))
    assert init_script.status_code == 200
    assert "/api/schema/" in init_script.content.decode()
    external = re.findall(r"""(?:src|href)=["'](https?://[^"']+)""", html)
    assert external == []
    assets = re.findall(r"""["'](/static/[^"']+\.(?:js|css))["']""", html)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset


# --- schemathesis --------------------------------------------------------------------------

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 8


@pytest.fixture
def seeded():
    """A little of everything, so generated ids and slugs sometimes hit real rows."""
    phase = PhaseFactory(slug="testing", order=1)
    challenge = ChallengeFactory(slug="oracle", phase=phase)
    direction = ResearchDirectionFactory(slug="fuzzing", phase=phase, challenges=[challenge])
    for n in range(3):
        paper = PaperFactory(authors=2, doi=f"10.1000/p{n}")
        PlacementFactory(paper=paper, challenge=challenge)
        PlacementFactory(paper=paper, direction=direction)
    PaperFactory(status="inbox")
    IngestRunFactory(total=3, seen=1)


@pytest.fixture
def wsgi_app():
    """The real WSGI application. Like Django's test client, it must not close the database
    connection after each request: the test's transaction lives on it."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", ["anonymous", "curator"])
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
    role, seeded, curator_user, settings, wsgi_app, django_capture_on_commit_callbacks
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(("anon", "user", "search", "export"), None),
    }
    headers = {}
    if role == "curator":
        token, _ = api_token_issue(user=curator_user)
        headers["Authorization"] = f"Token {token.key}"
    api = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app)
    calls = []

    for result in api.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings_for_cases
        def exercise(case) -> None:
            with django_capture_on_commit_callbacks(execute=False):  # no real ingestion
                response = case.call(headers=headers)
            calls.append((case.operation.label, response.status_code))
            case.validate_response(response, checks=CHECKS, headers=headers)

        exercise()

    statuses = {code for _, code in calls}
    assert len(calls) >= 150, len(calls)
    assert 200 in statuses
    assert 400 in statuses
    assert not any(code >= 500 for code in statuses)


settings_for_cases = hypothesis_settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,  # the same examples every run: the suite stays deterministic
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)


@pytest.mark.parametrize(
    "url",
    ["/api/v1/", "/api/v1/papers/", "/api/v1/phases/", "/api/v1/stats/?group_by=phase"],
)
def test_the_browsable_api_renders_for_people(anon, curator_api, seeded, url):
    for client in (anon, curator_api):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        assert b"sellm" in response.content or b"Api Root" in response.content


@pytest.mark.parametrize("url", ["/api/v1/papers/", "/api/v1/phases/", "/api/v1/placements/"])
def test_options_describe_the_endpoint(anon, curator_api, seeded, url):
    assert anon.options(url).status_code == 200
    described = curator_api.options(url).json()
    assert described["name"]
    post = described["actions"]["POST"]
    assert not all(field["read_only"] for field in post.values())  # the write fields
