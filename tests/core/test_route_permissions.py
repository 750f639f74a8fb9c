"""The permission matrix over every route the URL resolver knows: admin, API and HTML.

Each route is classified by hand in tests/core/routes.py. A route nobody classified fails
`test_every_route_is_classified`, so a new page or endpoint cannot ship without someone
deciding who may read it and who may write through it. The matrix then requests every route,
its path parameters filled with real objects, as four roles: an anonymous visitor, a signed-in
reader who is not a curator, a curator, and a superuser.
"""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.core.routes import (
    ADMIN_VIEWS_NOBODY_GETS,
    CATCH_ALLS,
    ROLES,
    RULES,
    UNSAFE,
    all_routes,
    answer,
    build_world,
    client_as,
    row_counts,
    rule_for,
    url_for,
)


@pytest.fixture
def world(db) -> dict:  # type: ignore[no-untyped-def]
    return build_world()


# --- The tests -------------------------------------------------------------------------------


def test_every_route_is_classified() -> None:
    unclassified = [route for route in all_routes() if rule_for(route) is None]

    assert unclassified == [], (
        "Routes nobody classified: add each to RULES (or CATCH_ALLS) in this file, saying "
        "who may read and write it."
    )


def test_every_classified_route_still_exists() -> None:
    routes = all_routes()
    names = {route.name for route in routes}
    patterns = {route.pattern for route in routes if not route.name}

    assert set(RULES) - names == set()
    assert set(CATCH_ALLS) - patterns == set()
    assert {f"admin:{view}" for view in ADMIN_VIEWS_NOBODY_GETS} - names == set()


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_its_rule_says_on_every_route(world: dict, role: str) -> None:
    client = client_as(role, world)
    wrong = []
    for route in all_routes():
        rule = rule_for(route)
        assert rule is not None, route
        url = url_for(route, rule.params(world))

        got = answer(client.get(url))
        if got != rule.get[role]:
            wrong.append(f"GET {url} ({rule.kind}): {got}, expected {rule.get[role]}")

        if role in rule.refused:
            before = row_counts()
            for method in UNSAFE:
                got = answer(getattr(client, method)(url, {}, content_type="application/json"))
                if got not in rule.refused[role]:
                    wrong.append(
                        f"{method.upper()} {url} ({rule.kind}): {got}, "
                        f"expected one of {sorted(map(str, rule.refused[role]))}"
                    )
            if row_counts() != before:
                wrong.append(f"refused requests to {url} wrote to the database")

        if role in rule.writes:
            method, status = rule.writes[role]
            got = answer(getattr(client, method)(url, {}, content_type="application/json"))
            if got != status:
                wrong.append(f"{method.upper()} {url} ({rule.kind}) as a writer: {got}")

    assert wrong == [], "\n".join(wrong)


def test_a_reader_cannot_get_an_api_token(world: dict) -> None:
    """Readers hold no token; their writes through the API are refused by role, not by the
    absence of a credential (the session is enough to be signed in)."""
    client = client_as("reader", world)

    response = client.post("/api/v1/papers/", {"title": "x"}, content_type="application/json")

    assert response.status_code == 403
    assert not Token.objects.filter(user=world["users"]["reader"]).exists()


def test_csrf_is_enforced_on_public_pages_before_the_method_check(world: dict) -> None:
    """With CSRF enforced, as in a browser, an unsafe request to a public page is refused
    (403 or 405) and writes nothing."""
    client = Client(enforce_csrf_checks=True)
    before = row_counts()

    statuses = {
        client.post(url_for(route, rule.params(world))).status_code
        for route in all_routes()
        if (rule := rule_for(route)) and rule.kind == "public HTML"
    }

    assert statuses <= {403, 405}
    assert row_counts() == before
