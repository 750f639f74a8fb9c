"""The curator's inbox in the admin: papers waiting for a decision, each with its best
suggestions (target, confidence, evidence) and the start of its abstract; one button accepts
a suggestion and includes the paper. Writes go through apps.papers.services.inbox."""

from django.contrib import admin, messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import F, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.core.exceptions import ApplicationError
from apps.papers.models import Paper, Placement
from apps.papers.services.inbox import placement_accept_and_include

INBOX_PAGE = 25
SUGGESTIONS_SHOWN = 5
ABSTRACT_START = 400


def inbox_papers():  # type: ignore[no-untyped-def]
    """Papers in the inbox, newest arrivals first, with their pending placements (best
    first) and each target's phase: three queries for a page, however many rows."""
    pending = (
        Placement.objects.pending()
        .select_related("phase", "challenge__phase", "direction__phase")
        .order_by(F("confidence").desc(nulls_last=True), "id")
    )
    return (
        Paper.objects.filter(status=Paper.Status.INBOX)
        .prefetch_related(Prefetch("placements", queryset=pending, to_attr="pending"))
        .order_by("-created_at", "-id")
    )


@require_GET
@permission_required("papers.change_paper", raise_exception=True)
def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox page, paginated."""
    page = Paginator(inbox_papers(), INBOX_PAGE).get_page(request.GET.get("page"))
    for paper in page.object_list:
        paper.top_suggestions = paper.pending[:SUGGESTIONS_SHOWN]  # type: ignore[attr-defined]
    context = {
        **admin.site.each_context(request),
        "title": "Inbox",
        "page": page,
        "abstract_start": ABSTRACT_START,
    }
    return TemplateResponse(request, "admin/inbox.html", context)


@require_POST
@permission_required("papers.change_paper", raise_exception=True)
def inbox_accept(request: HttpRequest) -> HttpResponse:
    """Accept one suggestion and include its paper, then back to the same inbox page."""
    back = reverse("admin-inbox") + (
        f"?page={request.POST['page']}" if request.POST.get("page", "").isdigit() else ""
    )
    raw = request.POST.get("placement", "")
    if not raw.isdigit():
        messages.error(request, "Choose a suggestion to accept.")
        return HttpResponseRedirect(back)
    try:
        user = request.user if request.user.is_authenticated else None  # the admin signs in
        placement = placement_accept_and_include(placement_id=int(raw), actor=user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return HttpResponseRedirect(back)
    messages.success(
        request,
        f"Included “{placement.paper.title}” and placed it in {placement.target_kind} "
        f"“{placement.target}”.",
    )
    return HttpResponseRedirect(back)
