"""A NUL character (U+0000) anywhere in a request is a 400 with a clear message, never a 500.

PostgreSQL refuses NUL in text, so on PostgreSQL a NUL that reaches a lookup (a slug, a
filter, a relation, the admin's autocomplete) was a server error. The matrix below sends a
NUL to every parameter and body field the OpenAPI schema declares, in JSON and form-encoded,
and to the path and the common filters of every route the URL resolver knows (see
routes.py), as a curator, who may write.
"""

import json

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from tests.core.routes import all_routes, build_world, client_as, rule_for, url_for

NUL = "\x00"
# Filters and parameters of the HTML pages and the admin (the API's come from its schema).
HTML_AND_ADMIN_PARAMETERS = (
    "q", "page", "phase", "challenge", "direction", "year", "year_min", "year_max",
    "category", "source", "status", "sort", "ordering", "format", "status__exact",
    "source__exact", "o", "p", "e", "_changelist_filters", "term", "app_label", "model_name",
    "field_name", "next", "_popup", "_to_field",
)  # fmt: skip


@pytest.fixture
def world(db) -> dict:  # type: ignore[no-untyped-def]
    return build_world()


def refused(response) -> bool:  # type: ignore[no-untyped-def]
    """A 4xx (or the login redirect / admin redirect a query never reaches a lookup through)."""
    return 400 <= response.status_code < 500 or response.status_code == 302


def api_schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def fill(path: str, world: dict) -> str:
    values = {
        "{slug}": world["challenge"].slug,
        "{id}": str(world["paper"].pk),
    }
    if path.startswith(("/api/v1/phases/", "/api/v1/directions/")):
        values["{slug}"] = (world["phase"] if "phases" in path else world["direction"]).slug
    if path.startswith("/api/v1/placements/"):
        values["{id}"] = str(world["placement"].pk)
    if path.startswith("/api/v1/ingest-runs/"):
        values["{id}"] = str(world["run"].pk)
    if path.startswith("/api/v1/harvest-sources/"):
        values["{id}"] = str(world["source"].pk)
    if path.startswith("/api/v1/bibtex-imports/"):
        values["{id}"] = str(world["bibtex_import"].pk)
    if path.startswith("/api/v1/authors/"):
        values["{id}"] = str(world["author"].pk)
    for key, value in values.items():
        path = path.replace(key, value)
    return path


def body_fields(operation: dict, schema: dict) -> list[str]:
    content = operation.get("requestBody", {}).get("content", {})
    names: list[str] = []
    for media in content.values():
        ref = media.get("schema", {}).get("$ref", "")
        component = schema["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
        names += [n for n in component.get("properties", {}) if n not in names]
    return names


def test_a_nul_in_every_api_parameter_and_body_field_is_a_400(world: dict) -> None:
    schema = api_schema()
    client = client_as("curator", world)
    wrong: list[str] = []
    checked = 0
    for template, operations in schema["paths"].items():
        path = fill(template, world)
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    url = template.replace("{" + parameter["name"] + "}", NUL)
                    url = fill(url, world)
                    response = getattr(client, method)(url)
                else:
                    response = getattr(client, method)(path, {parameter["name"]: NUL})
                    if method != "get":
                        response = getattr(client, method)(
                            f"{path}?{parameter['name']}=%00", content_type="application/json"
                        )
                checked += 1
                if response.status_code != 400:
                    wrong.append(f"{method} {template} {parameter['name']}: {response.status_code}")
            for field in body_fields(operation, schema):
                for content_type, data in (
                    ("application/json", json.dumps({field: NUL})),
                    ("application/json", json.dumps({field: [NUL]})),
                    ("application/x-www-form-urlencoded", f"{field}=%00"),
                    ("multipart/form-data; boundary=BoUnDaRy", multipart(field, NUL)),
                ):
                    response = getattr(client, method)(path, data, content_type=content_type)
                    checked += 1
                    if response.status_code != 400:
                        wrong.append(
                            f"{method} {template} body {field} ({content_type}): "
                            f"{response.status_code}"
                        )
    assert checked > 300
    assert wrong == []


def multipart(field: str, value: str) -> str:
    return (
        f'--BoUnDaRy\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n'
        f"{value}\r\n--BoUnDaRy--\r\n"
    )


@pytest.mark.parametrize("role", ["anon", "curator"])
def test_a_nul_in_the_path_and_the_filters_of_every_route_is_refused(
    world: dict, role: str
) -> None:
    client = client_as(role, world)
    wrong: list[str] = []
    for route in all_routes():
        rule = rule_for(route)
        assert rule is not None, route
        values = rule.params(world)
        url = url_for(route, values)
        for name in HTML_AND_ADMIN_PARAMETERS:
            separator = "&" if "?" in url else "?"
            response = client.get(f"{url}{separator}{name}=%00")
            if not refused(response):
                wrong.append(f"GET {url} {name}=NUL: {response.status_code}")
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(
                url, "title=%00&slug=%00", content_type="application/x-www-form-urlencoded"
            )
            if not refused(response):
                wrong.append(f"{method.upper()} {url} form NUL: {response.status_code}")
        path_values = {k: f"x{NUL}" for k in values if k != "query"}
        with_nul = url_for(route, {**values, **path_values})
        if with_nul != url:  # the route has a path parameter
            response = client.get(with_nul)
            if not refused(response):
                wrong.append(f"GET {route.pattern} with NUL in the path: {response.status_code}")
    assert wrong == []


# --- The cases the fuzzer found ---------------------------------------------------------------


def test_placing_a_paper_in_a_nul_challenge_is_a_400_naming_the_field(world: dict) -> None:
    client = client_as("curator", world)
    paper = world["paper"]

    as_json = client.post(
        "/api/v1/placements/",
        {"paper": paper.pk, "challenge": NUL},
        content_type="application/json",
    )
    as_form = client.post(
        "/api/v1/placements/",
        f"paper={paper.pk}&direction=%00",
        content_type="application/x-www-form-urlencoded",
    )
    patched = client.patch(
        f"/api/v1/challenges/{world['challenge'].slug}/",
        {"phase": NUL},
        content_type="application/json",
    )

    assert as_json.status_code == 400
    assert as_json.json()["errors"] == {
        "challenge": [
            "The field `challenge` contains a NUL character (U+0000), which sellm does not accept."
        ]
    }
    assert as_form.status_code == 400
    assert "field `direction`" in as_form.json()["detail"]
    assert patched.status_code == 400
    assert "field `phase`" in patched.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/admin/papers/paper/?status__exact=%00",
        "/admin/papers/paper/?source=%00",
        "/admin/autocomplete/?app_label=papers&model_name=placement&field_name=paper&term=%00",
    ],
)
def test_the_admin_answers_a_nul_filter_with_a_clear_400_page(world: dict, url: str) -> None:
    client = Client()
    client.force_login(world["users"]["curator"])

    response = client.get(url)

    assert response.status_code == 400
    text = response.content.decode()
    assert "contains a NUL character (U+0000)" in text
    assert NUL not in text


def test_the_400_page_never_echoes_a_nul(db) -> None:  # type: ignore[no-untyped-def]
    response = Client().get("/papers/?q=a%00b")

    assert response.status_code == 400
    text = response.content.decode()
    assert "<title>Bad request · sellm</title>" in text
    assert NUL not in text
    assert "query parameter `q`" in text


def test_a_literal_backslash_u0000_in_json_text_is_not_a_nul(world: dict) -> None:
    client = client_as("curator", world)

    response = client.patch(
        f"/api/v1/challenges/{world['challenge'].slug}/",
        json.dumps({"summary": "escape sequences such as \\u0000 in prompts"}),
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "escape sequences such as \\u0000 in prompts"
