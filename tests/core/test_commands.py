"""setup_roles and create_curator."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_setup_roles_grants_the_knowledge_base_and_nothing_of_auth() -> None:
    first = run("setup_roles")
    second = run("setup_roles")

    group = Group.objects.get(name="curators")
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps == {"taxonomy", "papers", "ingestion"}
    codenames = set(group.permissions.values_list("codename", flat=True))
    assert {"change_paper", "add_placement", "delete_challenge", "view_ingestrun"} <= codenames
    assert "added=0" not in first
    assert second.strip().endswith("added=0")


def test_create_curator_makes_a_staff_member_of_the_group(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CURATOR_PASSWORD", "a-long-enough-passphrase")

    output = run("create_curator", "ada", "--email", "ada@example.org", "--no-input")

    user = User.objects.get(username="ada")
    assert user.is_staff
    assert not user.is_superuser
    assert user.groups.filter(name="curators").exists()
    assert user.check_password("a-long-enough-passphrase")
    assert "curator ada" in output


def test_create_curator_refuses_a_weak_password(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CURATOR_PASSWORD", "123")

    with pytest.raises(CommandError):
        run("create_curator", "bob", "--no-input")
    assert not User.objects.filter(username="bob").exists()
