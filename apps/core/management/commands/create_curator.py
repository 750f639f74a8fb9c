"""python manage.py create_curator USERNAME — a staff account in the curators group."""

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.services import curator_create


class Command(BaseCommand):
    help = (
        "Create a curator (staff, in the curators group) or make an existing user one. "
        "The password is asked for, or read from $CURATOR_PASSWORD with --no-input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--no-input", action="store_true", dest="no_input")

    def handle(
        self, *args: object, username: str, email: str, no_input: bool, **options: object
    ) -> None:
        password = os.environ.get("CURATOR_PASSWORD") if no_input else None
        if not no_input:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords differ.")
        if password:
            try:
                validate_password(password)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        user = curator_create(username=username, email=email, password=password)
        self.stdout.write(f"curator {user.username}: staff, in group curators")
