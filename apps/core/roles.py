"""Who may do what: the roles every app asks about."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def is_curator(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    """Curators (and superusers) see the inbox, excluded papers and pending suggestions."""
    return bool(
        user is not None
        and user.is_authenticated
        and (user.is_superuser or user.has_perm("papers.change_paper"))
    )
