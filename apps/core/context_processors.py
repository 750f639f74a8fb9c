"""Facts about the running deployment that pages must state truthfully."""

from django.conf import settings
from django.http import HttpRequest


def deployment(request: HttpRequest) -> dict[str, object]:
    """`scheduler_runs`: whether periodic harvests are sent (Celery beat runs); without it,
    new papers arrive only when someone starts a harvest or an import."""
    return {"scheduler_runs": settings.SCHEDULER_RUNS}
