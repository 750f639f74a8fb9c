"""Who makes a write: the type every service takes as `actor` (or `requested_by`)."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User

# A signed-in user, or None for a machine (a harvest, the seed loader). Views and the admin pass
# `request.user` as it is; an anonymous user never gets as far as a write (permissions refuse
# first), and would be recorded as None.
Actor = AbstractBaseUser | AnonymousUser | None


def user_of(actor: Actor) -> User | None:
    """The acting user as foreign keys to users take it; None for a machine or anonymous."""
    return actor if isinstance(actor, User) else None
