"""API tokens: a curator gets their own (command or admin page), never someone else's."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_prints_a_curators_token_and_rotates_it(curator_user):
    first = run("cura")
    again = run("cura")
    rotated = run("cura", "--rotate")

    key = Token.objects.get(user=curator_user).key
    assert first == f"token of cura (created): {first.split()[-1]}"
    assert again.endswith(first.split()[-1])
    assert "(unchanged)" in again
    assert rotated == f"token of cura (rotated): {key}"
    assert key != first.split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.post("/api/v1/papers/", {"title": "Via token"}, format="json")
    assert response.status_code == 201
    stale = APIClient()
    stale.credentials(HTTP_AUTHORIZATION=f"Token {first.split()[-1]}")
    assert stale.get("/api/v1/papers/").status_code == 401
    assert run("cura", "--revoke") == "token of cura: revoked"
    assert not Token.objects.exists()


def test_the_command_refuses_non_curators_and_unknown_users(db):
    User.objects.create_user("reader", password="reader-pass-1234")

    with pytest.raises(CommandError, match="not an active curator"):
        run("reader")
    with pytest.raises(CommandError, match="No user"):
        run("nobody")
    assert not Token.objects.exists()


@pytest.fixture
def curator_browser(curator_user) -> Client:
    client = Client(enforce_csrf_checks=False)
    client.force_login(curator_user)
    return client


def test_a_curator_manages_their_own_token_in_the_admin(curator_browser, curator_user):
    page = curator_browser.get("/admin/api-token/")
    assert page.status_code == 200
    assert b"You have no API token" in page.content

    created = curator_browser.post("/admin/api-token/", {"action": "create"})
    token = Token.objects.get(user=curator_user)
    assert token.key.encode() in created.content
    rotated = curator_browser.post("/admin/api-token/", {"action": "rotate"})
    new = Token.objects.get(user=curator_user)
    assert new.key != token.key
    assert new.key.encode() in rotated.content
    curator_browser.post("/admin/api-token/", {"action": "revoke"})
    assert not Token.objects.filter(user=curator_user).exists()


def test_the_token_page_acts_only_on_the_signed_in_user(curator_browser, curator_user):
    other = User.objects.create_superuser("boss", "boss@example.org", "boss-pass-1234")
    other_token = Token.objects.create(user=other)

    # no parameter names a user: whatever is posted, only the curator's own token changes
    curator_browser.post("/admin/api-token/", {"action": "rotate", "user": other.pk})
    curator_browser.post("/admin/api-token/", {"action": "revoke", "user": "boss"})

    assert Token.objects.get(user=other).key == other_token.key
    page = curator_browser.get("/admin/api-token/")
    assert other_token.key.encode() not in page.content


def test_curators_cannot_mint_tokens_for_others_in_the_token_admin(curator_browser):
    assert curator_browser.get("/admin/authtoken/tokenproxy/").status_code == 403
    assert curator_browser.get("/admin/authtoken/tokenproxy/add/").status_code == 403
    response = curator_browser.post("/admin/authtoken/tokenproxy/add/", {"user": 1})
    assert response.status_code == 403
    assert not Token.objects.exists()


def test_the_token_page_needs_a_staff_login(db):
    reader = Client()
    reader.force_login(User.objects.create_user("reader", password="reader-pass-1234"))

    assert Client().get("/admin/api-token/").status_code == 302
    assert reader.get("/admin/api-token/").status_code == 302  # to the admin login
    assert not Token.objects.exists()
