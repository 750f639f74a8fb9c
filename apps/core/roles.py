"""Who may do what: the roles every app asks about."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, PermissionsMixin


def is_curator(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Curators (and superusers) see the inbox, excluded papers and pending suggestions."""
    if user is None or not user.is_authenticated or not isinstance(user, PermissionsMixin):
        return False
    return user.is_superuser or user.has_perm("papers.change_paper")
