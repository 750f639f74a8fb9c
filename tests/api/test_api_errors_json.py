"""Every API error is JSON, even for methods and paths no endpoint takes."""

import pytest
from django.test import Client

from apps.core.api.tokens import api_token_issue


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
@pytest.mark.parametrize("path", ["/api/v1/papers/0.5/", "/api/v1/no-such/", "/api/nothing"])
def test_a_write_to_an_unmatched_api_path_is_a_json_404(
    curator_user, method: str, path: str
) -> None:
    token, _ = api_token_issue(user=curator_user)
    anonymous = Client(enforce_csrf_checks=True)
    with_token = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token.key}")

    for client in (anonymous, with_token):
        response = getattr(client, method)(path, {}, content_type="application/json")

        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json()["detail"].startswith(f"No API endpoint at {path}")


def test_a_method_no_endpoint_takes_is_a_405_whatever_format_was_asked(curator_user) -> None:
    token, _ = api_token_issue(user=curator_user)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = client.generic("TRACE", "/api/v1/papers/?format=bibtex")

    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] == 'Method "TRACE" not allowed.'
