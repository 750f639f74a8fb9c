"""Pagination and list helpers of the HTML pages (the API's pagination is in core/api)."""

import django_filters
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, QueryDict

PAGE_SIZE = 20


def paginate(
    request: HttpRequest,
    rows: QuerySet,
    *,
    per_page: int = PAGE_SIZE,
    paginator_class: type[Paginator] = Paginator,
) -> Page:
    """The requested page of `rows`; a page that does not exist is a 404 that says so.
    Paper lists pass papers.search.SearchPaginator (capped counts, ranked searches)."""
    paginator = paginator_class(rows, per_page)
    number = request.GET.get("page") or 1
    try:
        return paginator.page(number)
    except PageNotAnInteger as error:
        raise Http404(f"“{number}” is not a page number.") from error
    except EmptyPage as error:
        raise Http404(
            f"There is no page {number}: this list has {paginator.num_pages} "
            f"page{'s' if paginator.num_pages != 1 else ''}."
        ) from error


def query_for_bibtex(query: QueryDict) -> str:
    """The list's filters without the page: the BibTeX download takes every result."""
    query = query.copy()
    query.pop("page", None)
    return query.urlencode()


def filter_errors(filterset: django_filters.FilterSet) -> list[str]:
    """Readable messages for the filters a request got wrong."""
    labels = {name: f.label or name for name, f in filterset.filters.items()}
    return [
        f"{labels.get(name, name)}: {' '.join(str(m) for m in messages)}"
        for name, messages in filterset.errors.items()
    ]
