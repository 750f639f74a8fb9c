"""Who may call what: everyone reads the public knowledge base, curators write."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.core.roles import is_curator

if TYPE_CHECKING:
    from rest_framework.views import APIView


class IsCuratorOrReadOnly(BasePermission):
    """Reads for everyone (what they see is filtered in `get_queryset`); writes for curators.

    An anonymous write answers 401 (token authentication names its scheme); a signed-in
    non-curator's write answers 403.
    """

    message = "Only curators may change the knowledge base."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in SAFE_METHODS or is_curator(request.user)


class IsCurator(BasePermission):
    """Curators only, for reads too (ingestion runs, starting an ingestion)."""

    message = "Only curators may use this endpoint."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_curator(request.user)


def acting_user(request: Request) -> AbstractBaseUser | None:
    """The signed-in user behind a request, as the services' `actor`; None when anonymous."""
    user = request.user
    return user if isinstance(user, AbstractBaseUser) and user.is_authenticated else None
