"""API views that belong to no app: unknown API URLs, and the page where a curator gets
their own API token."""

from django.contrib import admin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from apps.core.api.tokens import api_token_issue, api_token_revoke
from apps.core.exceptions import ApplicationError


@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> JsonResponse:
    """A JSON 404 for any URL under /api/ that names no endpoint, whatever the method.

    CSRF-exempt: it writes nothing, and a POST or DELETE there must get the API's JSON 404
    rather than Django's HTML CSRF page (token clients send no CSRF token)."""
    return JsonResponse(
        {"detail": f"No API endpoint at {request.path}; the endpoints are listed at /api/v1/."},
        status=404,
    )


@require_http_methods(["GET", "POST"])
def my_api_token(request: HttpRequest) -> HttpResponse:
    """Admin page: the signed-in curator sees, creates, rotates or revokes their own token.

    It only ever acts on `request.user`, so nobody can mint a token for someone else here.
    """
    user = request.user
    if not isinstance(user, User):  # admin_view lets only signed-in staff reach this page
        raise PermissionDenied
    message, error = "", ""
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("create", "rotate"):
                _, changed = api_token_issue(user=user, rotate=action == "rotate")
                message = "A new token was created." if changed else "Your token is unchanged."
            elif action == "revoke":
                api_token_revoke(user=user)
                message = "Your token was revoked."
            else:
                error = "Unknown action."
        except ApplicationError as failure:
            error = failure.message
    token = Token.objects.filter(user=user).first()
    context = {
        **admin.site.each_context(request),
        "title": "My API token",
        "token": token,
        "message": message,
        "error": error,
    }
    return TemplateResponse(request, "admin/api_token.html", context, status=400 if error else 200)
