"""The API's side of the relation loaders (`apps.papers.relations`): each as the page loader
of a `PaperSerializer` field (`apps.core.api.rows`), reading as the request's user and with
the API's links, so its rows are the field's answer as they come."""

from collections.abc import Iterator, Mapping
from typing import Any

from apps.core.api.fields import UrlTemplate
from apps.core.api.rows import PageLoader
from apps.papers.relations import Link, RelationLoader

# The API view of each kind of row, and the URL keyword its key fills.
VIEWS = {
    "author": ("api:author-detail", "pk"),
    "paper": ("api:paper-detail", "pk"),
    "placement": ("api:placement-detail", "pk"),
    "phase": ("api:phase-detail", "slug"),
    "challenge": ("api:challenge-detail", "slug"),
    "direction": ("api:direction-detail", "slug"),
}


class ApiLinks(Mapping[str, Link]):
    """The API URL of each kind of row, reversed once per request and kind, when first used."""

    def __init__(self, request: object | None) -> None:
        self.request = request
        self.made: dict[str, UrlTemplate] = {}

    def __getitem__(self, kind: str) -> Link:
        link = self.made.get(kind)
        if link is None:
            view_name, kwarg = VIEWS[kind]
            link = self.made[kind] = UrlTemplate(view_name, self.request, kwarg)
        return link

    def __iter__(self) -> Iterator[str]:
        return iter(VIEWS)

    def __len__(self) -> int:
        return len(VIEWS)


def api_rows(load: RelationLoader) -> PageLoader:
    """`load` as a page loader: the rows the request's user may see, with the API's links."""

    def load_page(ids: list[Any], context: Mapping[str, Any]) -> Mapping[Any, Any]:
        request = context.get("request")
        return load(ids, getattr(request, "user", None), ApiLinks(request))

    return load_page
