"""Atom feeds of newly included papers: all of them or any filtered list or search (the
paper list's query string on `/feeds/papers/`), per phase, per challenge, per direction.

Feeds are public whoever fetches them (feed readers are anonymous): they show included
papers only, newest inclusion first, and never change with a signed-in session. Each entry
carries the authors, a summary (the abstract, else the curator's evidence note) and the
paper's own dates (first version published, latest revision updated).
"""

import logging
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from apps.core.bibliography.codec import latex_to_unicode
from apps.papers.filtersets import PaperFilterSet
from apps.papers.models import Paper
from apps.papers.relations import attach_relations, placement_target
from apps.papers.selectors import papers_visible_to
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

logger = logging.getLogger(__name__)

FEED_SIZE = 50
AUTHORS_SHOWN = 5


# Parameters of the paper list that do not choose papers: a feed ignores them.
NOT_FILTERS = ("page", "ordering", "format", "page_size", "cursor", "fields")


class FilteredPapers:
    """The papers a paper-list query selects (public ones), for the feed of that list."""

    def __init__(self, query: QueryDict) -> None:
        query = query.copy()
        for name in list(query):
            if name in NOT_FILTERS or name not in PaperFilterSet.base_filters:
                query.pop(name)
        self.query = query
        self.filterset = PaperFilterSet(query, queryset=papers_visible_to(AnonymousUser()))

    @property
    def filtered(self) -> bool:
        return bool(self.query)

    def describe(self) -> str:
        return ", ".join(
            f"{name} {' or '.join(values)}" if name != "q" else f"“{values[0]}”"
            for name, values in self.query.lists()
        )


class InclusionAtomFeed(Atom1Feed):
    """Atom whose feed-level date (and so Last-Modified) is the newest *inclusion*: entries
    carry the papers' own dates, and an old paper included today must still make the feed
    newer for readers that ask If-Modified-Since."""

    def latest_post_date(self) -> datetime:
        dates = [item["included_at"] for item in self.items if item.get("included_at")]
        return max(dates) if dates else super().latest_post_date()


class NewPapersFeed(Feed):
    """Newly included papers, newest first; with the paper list's filters or search in the
    query string, the newest papers of that list."""

    feed_type = InclusionAtomFeed

    def __call__(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not kwargs:  # the feed of any list: a bad filter is a 400 that says which
            selection = FilteredPapers(request.GET)
            if not selection.filterset.is_valid():
                labels = {n: f.label or n for n, f in selection.filterset.filters.items()}
                lines = [
                    f"{labels.get(name, name)}: {' '.join(str(m) for m in messages)}"
                    for name, messages in selection.filterset.errors.items()
                ]
                return HttpResponse(
                    "No feed for these filters:\n" + "\n".join(lines),
                    status=400,
                    content_type="text/plain; charset=utf-8",
                )
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request: HttpRequest, *args: object, **kwargs: object) -> object:
        return FilteredPapers(request.GET)

    def title(self, obj: FilteredPapers) -> str:
        if obj.filtered:
            return f"sellm: new papers, {obj.describe()}"
        return "sellm: new papers"

    def subtitle(self, obj: FilteredPapers) -> str:
        if obj.filtered:
            return f"Papers of sellm's list {obj.describe()}, newest inclusion first."
        return (
            "Papers newly included in sellm, the knowledge base of software engineering for LLMs."
        )

    def link(self, obj: FilteredPapers) -> str:
        url = reverse("papers:list")
        return f"{url}?{obj.query.urlencode()}" if obj.filtered else url

    def papers(self, obj: FilteredPapers) -> QuerySet[Paper]:
        return obj.filterset.qs.order_by()

    def items(self, obj: Any = None) -> list[Paper]:
        newest = self.papers(obj).filter(included_at__isnull=False).order_by("-included_at", "-id")
        return attach_relations(newest[:FEED_SIZE])

    def item_title(self, item: Paper) -> str:
        return latex_to_unicode(item.title)

    def item_description(self, item: Paper) -> str:
        # Atom carries the summary as HTML: stored text is escaped here, never trusted.
        if item.abstract.strip():
            return escape(latex_to_unicode(item.abstract))
        notes = [p["evidence"] for p in item.placement_rows if p["evidence"].strip()]
        return escape(notes[0]) if notes else ""

    def item_link(self, item: Paper) -> str:
        return reverse("papers:detail", args=[item.pk])

    def item_author_name(self, item: Paper) -> str | None:
        names = [author["name"] for author in item.author_rows]
        if not names:
            return None
        shown = ", ".join(names[:AUTHORS_SHOWN])
        return shown + (" et al." if len(names) > AUTHORS_SHOWN else "")

    def item_pubdate(self, item: Paper) -> datetime | None:
        return item.published_at  # the paper's own date; absent when sellm does not know it

    def item_updateddate(self, item: Paper) -> datetime | None:
        # Atom requires an updated date: the latest revision, else the first version, else
        # (a paper without a known date) when it joined sellm.
        return item.revised_at or item.published_at or item.included_at

    def item_extra_kwargs(self, item: Paper) -> dict:
        return {"included_at": item.included_at}

    def item_categories(self, item: Paper) -> list[str]:
        names: list[str] = []
        for placement in item.placement_rows:
            name = placement_target(placement)["name"]
            if name not in names:
                names.append(name)
        return names


class PhaseFeed(NewPapersFeed):
    """Newly included papers placed in one lifecycle phase."""

    def get_object(self, request: HttpRequest, slug: str) -> Phase:  # type: ignore[override]
        phase = Phase.objects.filter(slug=slug).first()
        if phase is None:
            raise Http404(f"There is no lifecycle phase called “{slug}”, so no feed for it.")
        return phase

    def title(self, obj: Phase) -> str:  # type: ignore[override]
        return f"sellm: new papers in {obj.name}"

    def subtitle(self, obj: Phase) -> str:  # type: ignore[override]
        return f"Papers newly included in sellm and placed in the phase {obj.name}."

    def link(self, obj: Phase) -> str:  # type: ignore[override]
        return reverse("taxonomy:phase", args=[obj.slug])

    def papers(self, obj: Phase) -> QuerySet[Paper]:  # type: ignore[override]
        return papers_visible_to(AnonymousUser()).placed_in(phase=obj)  # type: ignore[attr-defined]


class ChallengeFeed(NewPapersFeed):
    """Newly included papers placed in one challenge."""

    def get_object(self, request: HttpRequest, slug: str) -> Challenge:  # type: ignore[override]
        challenge = Challenge.objects.filter(slug=slug).first()
        if challenge is None:
            raise Http404(f"There is no challenge called “{slug}”, so no feed for it.")
        return challenge

    def title(self, obj: Challenge) -> str:  # type: ignore[override]
        return f"sellm: new papers on {obj.name}"

    def subtitle(self, obj: Challenge) -> str:  # type: ignore[override]
        return f"Papers newly included in sellm and placed in the challenge {obj.name}."

    def link(self, obj: Challenge) -> str:  # type: ignore[override]
        return reverse("taxonomy:challenge", args=[obj.slug])

    def papers(self, obj: Challenge) -> QuerySet[Paper]:  # type: ignore[override]
        return papers_visible_to(AnonymousUser()).placed_in(challenge=obj)  # type: ignore[attr-defined]


class DirectionFeed(NewPapersFeed):
    """Newly included papers placed in one research direction."""

    def get_object(self, request: HttpRequest, slug: str) -> ResearchDirection:  # type: ignore[override]
        direction = ResearchDirection.objects.filter(slug=slug).first()
        if direction is None:
            raise Http404(f"There is no research direction called “{slug}”, so no feed for it.")
        return direction

    def title(self, obj: ResearchDirection) -> str:  # type: ignore[override]
        return f"sellm: new papers in the direction {obj.name}"

    def subtitle(self, obj: ResearchDirection) -> str:  # type: ignore[override]
        return f"Papers newly included in sellm and placed in the research direction {obj.name}."

    def link(self, obj: ResearchDirection) -> str:  # type: ignore[override]
        return reverse("taxonomy:direction", args=[obj.slug])

    def papers(self, obj: ResearchDirection) -> QuerySet[Paper]:  # type: ignore[override]
        return papers_visible_to(AnonymousUser()).placed_in(direction=obj)  # type: ignore[attr-defined]
