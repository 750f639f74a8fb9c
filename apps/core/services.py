"""Writes shared by every app: curated edits and the curators' role."""

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.db import transaction

from apps.core.actors import Actor
from apps.core.history import history_user_set
from apps.core.models import CuratedModel

CURATORS = "curators"
# Apps whose every model (and its history) curators may view, add, change and delete.
CURATED_APPS = ("taxonomy", "papers", "ingestion")


@transaction.atomic
def curated_save(*, instance: CuratedModel, changed_fields: Iterable[str]) -> CuratedModel:
    """Save a curator's edit and remember which fields they changed.

    Machine writers (seed loader, ingestion) skip remembered fields from then on. Safe to call
    twice: the remembered set only grows by the fields named.
    """
    edited = set(instance.curator_edited_fields) | set(changed_fields)
    edited.discard("curator_edited_fields")
    instance.curator_edited_fields = sorted(edited)
    instance.full_clean()
    instance.save()
    return instance


@transaction.atomic
def curated_delete(*, instance: CuratedModel, actor: Actor) -> None:
    """Delete a curated row, recording who did it in its history."""
    history_user_set(instance, actor)
    instance.delete()


@transaction.atomic
def curators_group_setup() -> tuple[Group, int]:
    """Create or refresh the `curators` group with every permission on the curated apps and
    none on users, groups or tokens. Returns (group, permissions added); safe to call twice."""
    group, _ = Group.objects.get_or_create(name=CURATORS)
    wanted = set(Permission.objects.filter(content_type__app_label__in=CURATED_APPS))
    current = set(group.permissions.all())
    group.permissions.remove(*(current - wanted))
    group.permissions.add(*(wanted - current))
    return group, len(wanted - current)


@transaction.atomic
def curator_create(*, username: str, email: str = "", password: str | None) -> AbstractUser:
    """Create a staff user in the `curators` group (or add an existing user to it)."""
    group, _ = curators_group_setup()
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(username=username, email=email, password=password)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(group)
    return user
