"""URLs of many rows of one kind, reversed once and filled in per row.

`reverse()` for every author and tag of a list page (170 of them on the paper list) cost a
sixth of the page's time; the URL is the same but for the key, so it is reversed once with a
marker for the key, and the key is put in its place.
"""

from collections.abc import Callable, Iterator, Mapping
from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

MARK = "sellm-url-key-0"  # fits every lookup pattern ([^/.]+ and slugs)
NUMBER_MARK = 9182736450  # for an <int:…> route, which the text marker does not fit

Link = Callable[[object], str]


class UrlTemplate:
    """An object URL with the key left open: reversed once, filled in per row. Absolute
    when a request is given (the API's links), a path otherwise (pages)."""

    def __init__(self, view_name: str, request: object | None = None, kwarg: str = "pk") -> None:
        try:
            path, self.mark = reverse(view_name, kwargs={kwarg: MARK}), MARK
        except NoReverseMatch:
            path, self.mark = reverse(view_name, kwargs={kwarg: NUMBER_MARK}), str(NUMBER_MARK)
        self.template = (
            request.build_absolute_uri(path)  # type: ignore[attr-defined]
            if request is not None
            else path
        )

    def __call__(self, key: object) -> str:
        return self.template.replace(self.mark, quote(str(key), safe=""))


class Links(Mapping[str, Link]):
    """The URL of each kind of row (`views`: kind → (view name, URL keyword)), each reversed
    once, when first used. A kind `views` does not name has no link (`.get` gives None)."""

    def __init__(self, views: Mapping[str, tuple[str, str]], request: object | None = None):
        self.views = views
        self.request = request
        self.made: dict[str, UrlTemplate] = {}

    def __getitem__(self, kind: str) -> Link:
        link = self.made.get(kind)
        if link is None:
            view_name, kwarg = self.views[kind]
            link = self.made[kind] = UrlTemplate(view_name, self.request, kwarg)
        return link

    def __iter__(self) -> Iterator[str]:
        return iter(self.views)

    def __len__(self) -> int:
        return len(self.views)
