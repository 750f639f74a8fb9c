"""Production settings pass Django's deployment checks; logins lock out; headers are set."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from apps.core.http import client_ip

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SECRET_KEY": "production-like-secret-" + "k" * 40,
    "ALLOWED_HOSTS": "sellm.example.org",
    "DATABASE_URL": "postgres://sellm@127.0.0.1:5432/sellm",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


def test_check_deploy_passes_with_production_environment() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "DEBUG", "DATABASE_URL", "SECRET_KEY", "DJANGO_SETTINGS"))
    }
    env.update(PRODUCTION_ENV)

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_repeated_failed_admin_logins_lock_the_username(curator) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, {"username": "curator", "password": "wrong"})

    locked = client.post(login, {"username": "curator", "password": "curator-pass"})

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_successful_login_before_the_limit_resets_the_count(curator) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    login = reverse("admin:login")
    for _ in range(4):
        client.post(login, {"username": "curator", "password": "wrong"})

    response = client.post(login, {"username": "curator", "password": "curator-pass"})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(curator.pk)


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_and_security_headers(client: Client) -> None:
    response = client.get(reverse("admin:login"))

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no trusted proxy: a forged header is ignored
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # one proxy appended the client
        (2, "198.51.100.7, 203.0.113.9", "198.51.100.7"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_proxies(
    proxies: int, forwarded: str, expected: str
) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    with override_settings(NUM_PROXIES=proxies):
        assert client_ip(request) == expected
