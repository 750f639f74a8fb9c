"""The API's side of the relation loaders (`apps.papers.relations`): each as the page loader
of a `PaperSerializer` field (`apps.core.api.rows`), reading as the request's user and with
the API's links, so its rows are the field's answer as they come."""

from collections.abc import Mapping
from typing import Any

from apps.core.api.rows import PageLoader
from apps.core.links import Links
from apps.papers.relations import RelationLoader

# The API view of each kind of row, and the URL keyword its key fills.
VIEWS = {
    "author": ("api:author-detail", "pk"),
    "paper": ("api:paper-detail", "pk"),
    "placement": ("api:placement-detail", "pk"),
    "phase": ("api:phase-detail", "slug"),
    "challenge": ("api:challenge-detail", "slug"),
    "direction": ("api:direction-detail", "slug"),
}


def api_rows(load: RelationLoader) -> PageLoader:
    """`load` as a page loader: the rows the request's user may see, with the API's links."""

    def load_page(ids: list[Any], context: Mapping[str, Any]) -> Mapping[Any, Any]:
        request = context.get("request")
        return load(ids, getattr(request, "user", None), Links(VIEWS, request))

    return load_page
