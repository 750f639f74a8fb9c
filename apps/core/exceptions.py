"""Errors that services raise for the delivery layer to translate (400 in the API, a message
in the admin, a non-zero exit in a command)."""


class ApplicationError(Exception):
    """A request that cannot be carried out as asked; `message` is safe to show to users."""

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
