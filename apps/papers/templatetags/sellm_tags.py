"""Template helpers for the public pages: LaTeX-aware display text and query-string edits."""

from datetime import datetime

from django import template
from django.http import QueryDict
from django.utils.dateparse import parse_datetime

from apps.core.bibliography.codec import latex_to_unicode

register = template.Library()


@register.filter
def latex(value: object) -> str:
    """Stored text with unambiguous inline math made readable (`$\\tau$Test` → τTest).

    Returns plain text, so the template escapes it like any other value."""
    return latex_to_unicode(str(value)) if value else ""


@register.filter
def isodatetime(value: object) -> datetime | None:
    """An ISO 8601 string (as kept in `Paper.arxiv_versions`) as a datetime, else None."""
    if isinstance(value, datetime):
        return value
    try:
        return parse_datetime(str(value)) if value else None
    except ValueError:
        return None


def _without(query: QueryDict, key: str, value: str | None) -> QueryDict:
    query = query.copy()
    query.pop("page", None)  # a changed filter starts again at page 1
    if value is None:
        query.pop(key, None)
    else:
        # Filters take repeated and comma-separated values alike (`?phase=a,b`).
        values = [v for item in query.getlist(key) for v in item.split(",") if v]
        query.setlist(key, [v for v in values if v != str(value)])
    return query


@register.simple_tag(takes_context=True)
def query_without(context: template.Context, key: str, value: object = None) -> str:
    """The current query string without `key` (or without one `value` of it), from page 1."""
    query = _without(context["request"].GET, key, None if value is None else str(value))
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
