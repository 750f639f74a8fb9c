"""Tags for the admin's curator pages."""

from django import template

from apps.papers.models import Paper

register = template.Library()


@register.simple_tag
def inbox_count() -> int:
    """Papers waiting in the inbox (one COUNT query)."""
    return Paper.objects.filter(status=Paper.Status.INBOX).count()
