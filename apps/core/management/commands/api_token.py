"""python manage.py api_token USERNAME [--rotate | --revoke] — a curator's API token."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.api.tokens import api_token_issue, api_token_revoke
from apps.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Print a curator's API token for scripts (created on first use). --rotate replaces it "
        "with a new one, --revoke deletes it. Curators can also manage their own token in the "
        "admin, at /admin/api-token/."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--rotate", action="store_true", help="Replace the token.")
        group.add_argument("--revoke", action="store_true", help="Delete the token.")

    def handle(
        self, *args: object, username: str, rotate: bool, revoke: bool, **options: object
    ) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if revoke:
            existed = api_token_revoke(user=user)
            self.stdout.write(f"token of {username}: {'revoked' if existed else 'none to revoke'}")
            return
        try:
            token, changed = api_token_issue(user=user, rotate=rotate)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        state = ("rotated" if rotate else "created") if changed else "unchanged"
        self.stdout.write(f"token of {username} ({state}): {token.key}")
