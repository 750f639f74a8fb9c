"""API tokens for curators' scripts: each curator gets (or rotates) their own, and nobody
else's."""

import logging

from django.contrib.auth.models import User
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.core.exceptions import ApplicationError
from apps.core.roles import is_curator

logger = logging.getLogger(__name__)


@transaction.atomic
def api_token_issue(*, user: User, rotate: bool = False) -> tuple[Token, bool]:
    """The user's own API token, created if missing; `rotate=True` replaces it with a new key
    (the old one stops working). Returns (token, changed). Only curators (and superusers) get
    one: reads need no token. Safe to call twice without `rotate`: the key stays the same.
    """
    if not user.is_active or not is_curator(user):
        raise ApplicationError(
            f"{user.get_username()} is not an active curator; only curators get API tokens."
        )
    token = Token.objects.select_for_update().filter(user=user).first()
    if token is not None and not rotate:
        return token, False
    if token is not None:
        token.delete()
    token = Token.objects.create(user=user)
    logger.info("API token %s for %s", "rotated" if rotate else "created", user.get_username())
    return token, True


@transaction.atomic
def api_token_revoke(*, user: User) -> bool:
    """Delete the user's API token, if any. Returns whether one existed; safe to call twice."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
