"""Atom feeds of newly included papers: all of them, per phase, per challenge.

Feeds are public whoever fetches them (feed readers are anonymous): they show included
papers only, newest inclusion first, and never change with a signed-in session.
"""

import logging
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape

from apps.papers.latex import latex_to_unicode
from apps.papers.models import Paper
from apps.papers.selectors import papers_visible_to
from apps.taxonomy.models import Challenge, Phase

logger = logging.getLogger(__name__)

FEED_SIZE = 50
AUTHORS_SHOWN = 5


class NewPapersFeed(Feed):
    """Newly included papers, newest first."""

    feed_type = Atom1Feed
    title = "sellm: new papers"
    subtitle = (
        "Papers newly included in sellm, the knowledge base of software engineering for LLMs."
    )

    def link(self, obj: object = None) -> str:
        return reverse("papers:list")

    def papers(self, obj: object) -> QuerySet[Paper]:
        return papers_visible_to(AnonymousUser())

    def items(self, obj: object = None) -> QuerySet[Paper]:
        return (
            self.papers(obj)
            .filter(included_at__isnull=False)
            .order_by("-included_at", "-id")
            .for_list()[:FEED_SIZE]  # type: ignore[attr-defined]
        )

    def item_title(self, item: Paper) -> str:
        return latex_to_unicode(item.title)

    def item_description(self, item: Paper) -> str:
        # Atom carries the summary as HTML: stored text is escaped here, never trusted.
        return escape(latex_to_unicode(item.abstract))

    def item_link(self, item: Paper) -> str:
        return reverse("papers:detail", args=[item.pk])

    def item_author_name(self, item: Paper) -> str | None:
        names = [a.author.name for a in item.authorships.all()]
        if not names:
            return None
        shown = ", ".join(names[:AUTHORS_SHOWN])
        return shown + (" et al." if len(names) > AUTHORS_SHOWN else "")

    def item_pubdate(self, item: Paper) -> datetime | None:
        return item.included_at

    def item_updateddate(self, item: Paper) -> datetime | None:
        return item.included_at

    def item_categories(self, item: Paper) -> list[str]:
        names: list[str] = []
        for placement in item.accepted_placements:  # type: ignore[attr-defined]
            target = placement.target
            if target.name not in names:
                names.append(target.name)
        return names


class PhaseFeed(NewPapersFeed):
    """Newly included papers placed in one lifecycle phase."""

    def get_object(self, request: HttpRequest, slug: str) -> Phase:
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

    def get_object(self, request: HttpRequest, slug: str) -> Challenge:
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
