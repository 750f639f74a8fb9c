"""HTML pages of listings (list, page, exports, the curator's freeze form) and of the base's
PRISMA flow. Each page runs a fixed number of queries however many papers it shows."""

import logging

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from apps.core.exceptions import ApplicationError
from apps.core.views import public_page
from apps.listings.exports import cite_bibtex, listing_bibtex, listing_csl_json, listing_ris
from apps.listings.forms import ListingFreezeForm
from apps.listings.models import Listing, ListingEntry
from apps.listings.prisma import prisma_diagram, prisma_flow
from apps.listings.selectors import listing_diff, listing_live_diff, listing_versions
from apps.listings.services import (
    filter_messages,
    listing_freeze,
    listing_papers,
    listing_query_parse,
)
from apps.papers.selectors import is_curator
from apps.papers.views import paginate
from apps.taxonomy.models import Phase

logger = logging.getLogger(__name__)

ENTRIES_PER_PAGE = 100
LISTINGS_PER_PAGE = 25


def get_listing(slug: str) -> Listing:
    listing = Listing.objects.select_related("created_by", "previous").filter(slug=slug).first()
    if listing is None:
        raise Http404(f"There is no listing called “{slug}”.")
    return listing


@public_page
def listing_list(request: HttpRequest) -> HttpResponse:
    """Every listing, newest freeze first."""
    page = paginate(request, Listing.objects.for_list(), per_page=LISTINGS_PER_PAGE)
    return render(request, "listings/listing_list.html", {"page": page})


@public_page
def listing_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A listing as frozen: its papers, versions, what changed, exports, how to cite it, and
    the base's PRISMA flow at the moment of freezing."""
    listing = get_listing(slug)
    entries = (
        ListingEntry.objects.filter(listing=listing).order_by("position").defer("bibtex", "csl")
    )
    page = paginate(request, entries, per_page=ENTRIES_PER_PAGE)
    url = request.build_absolute_uri(reverse("listings:detail", args=[listing.slug]))
    context = {
        "listing": listing,
        "page": page,
        "versions": listing_versions(listing),
        "since_previous": listing_diff(listing.previous, listing) if listing.previous else None,
        "against_live": listing_live_diff(listing),
        "cite": cite_bibtex(listing, url),
        "flow": listing.prisma,
        "diagram": prisma_diagram(listing.prisma) if listing.prisma else None,
    }
    return render(request, "listings/listing_detail.html", context)


def _download(text: str, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _entries(listing: Listing):  # type: ignore[no-untyped-def]
    return ListingEntry.objects.filter(listing=listing).order_by("position")


@public_page
def listing_export_bibtex(request: HttpRequest, slug: str) -> HttpResponse:
    listing = get_listing(slug)
    text = listing_bibtex(_entries(listing))
    return _download(text, "application/x-bibtex", f"sellm-{listing.slug}.bib")


@public_page
def listing_export_ris(request: HttpRequest, slug: str) -> HttpResponse:
    listing = get_listing(slug)
    text = listing_ris(_entries(listing))
    return _download(text, "application/x-research-info-systems", f"sellm-{listing.slug}.ris")


@public_page
def listing_export_csl(request: HttpRequest, slug: str) -> HttpResponse:
    listing = get_listing(slug)
    text = listing_csl_json(_entries(listing))
    return _download(text, "application/vnd.citationstyles.csl+json", f"sellm-{listing.slug}.json")


@public_page
def listing_cite(request: HttpRequest, slug: str) -> HttpResponse:
    listing = get_listing(slug)
    url = request.build_absolute_uri(reverse("listings:detail", args=[listing.slug]))
    return _download(cite_bibtex(listing, url), "application/x-bibtex", f"cite-{listing.slug}.bib")


@require_http_methods(["GET", "HEAD", "POST"])
def listing_new(request: HttpRequest) -> HttpResponse:
    """Curators freeze a paper list: GET shows the form for `?query=…`, POST freezes it and
    goes to the new listing's page."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not is_curator(request.user):
        raise PermissionDenied("Only curators freeze listings.")
    if request.method == "POST":
        form = ListingFreezeForm(request.POST)
        if form.is_valid():
            try:
                listing = listing_freeze(actor=request.user, **form.cleaned_data)
            except ApplicationError as error:
                form.add_error(None, error.message)
            else:
                return redirect("listings:detail", slug=listing.slug)
        return _new_page(request, form, form.data.get("query", ""), status=400)
    query = request.GET.get("query", "")
    return _new_page(request, ListingFreezeForm(initial={"query": query}), query)


def _new_page(request: HttpRequest, form: ListingFreezeForm, query: str, status: int = 200):  # type: ignore[no-untyped-def]
    preview: dict[str, object] = {}
    try:
        filterset = listing_papers(listing_query_parse(query))
        if filterset.is_valid():
            preview["count"] = filterset.qs.count()
        else:
            preview["errors"] = filter_messages(filterset)
    except ApplicationError as error:
        preview["errors"] = [error.message]
    context = {"form": form, "query": query.lstrip("?"), "preview": preview}
    return render(request, "listings/listing_new.html", context, status=status)


@public_page
def prisma(request: HttpRequest) -> HttpResponse:
    """The base's PRISMA 2020-style flow, whole or for one phase (`?phase=slug`)."""
    phases = list(Phase.objects.order_by("order").only("slug", "name"))
    chosen = None
    slug = request.GET.get("phase", "")
    if slug:
        chosen = next((p for p in phases if p.slug == slug), None)
        if chosen is None:
            raise Http404(f"There is no lifecycle phase called “{slug}”.")
    flow = prisma_flow(phase=chosen)
    context = {
        "flow": flow,
        "diagram": prisma_diagram(flow),
        "phases": phases,
        "chosen": chosen,
    }
    return render(request, "listings/prisma.html", context)
