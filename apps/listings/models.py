"""Frozen listings: a citable, versioned set of papers with the query that chose them.

A listing never changes once frozen. Each entry keeps a snapshot of its paper as it was at
that moment (the BibTeX entry, the CSL-JSON item and a plain record for RIS and display), so
the listing exports the same papers the same way even after a paper is edited or deleted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.core.models import TimeStampedModel


class ListingQuerySet(models.QuerySet["Listing"]):
    def for_list(self) -> "ListingQuerySet":
        """What a list of listings shows (the curator's name), in one query."""
        return self.select_related("created_by").order_by("-frozen_at", "-id")


class Listing(TimeStampedModel):
    """A frozen set of papers: title, description, the paper-list query as given, when.

    Versions: a new freeze of the same query (`query_key`) is version N+1 of the same series,
    with `previous` pointing at version N. Rows are written once, by `listing_freeze`, and
    never edited.
    """

    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    query = models.TextField(
        blank=True, help_text="The paper-list query string as given (without the page)."
    )
    parameters = models.JSONField(
        default=dict, blank=True, help_text="The query parsed: each filter with its values."
    )
    query_key = models.CharField(
        max_length=2000,
        db_index=True,
        help_text="The query in canonical form: freezes with the same key are versions.",
    )
    version = models.PositiveIntegerField(default=1)
    previous = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_version",
    )
    frozen_at = models.DateTimeField(db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listings",
    )
    paper_count = models.PositiveIntegerField(default=0)
    prisma = models.JSONField(
        default=dict, blank=True, help_text="The base's PRISMA figures at the moment of freezing."
    )

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ("-frozen_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["query_key", "version"], name="%(app_label)s_%(class)s_unique_version"
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="%(app_label)s_%(class)s_version_positive"
            ),
            models.CheckConstraint(
                condition=Q(version=1, previous__isnull=True)
                | Q(version__gt=1, previous__isnull=False),
                name="%(app_label)s_%(class)s_previous_with_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class ListingEntry(models.Model):
    """One paper of a listing, in its place, with a snapshot of the paper as frozen.

    `paper` is cleared if the paper is later deleted; `paper_ref` keeps the id it had, so
    versions still compare.
    """

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="entries")
    position = models.PositiveIntegerField()
    paper = models.ForeignKey(
        "papers.Paper",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="listing_entries",
    )
    paper_ref = models.PositiveIntegerField(help_text="The paper's id when frozen.")
    arxiv_id = models.CharField("arXiv id", max_length=32, blank=True)
    arxiv_version = models.PositiveSmallIntegerField("arXiv version", null=True, blank=True)
    citation_key = models.CharField(max_length=255)
    record = models.JSONField(
        help_text="The paper as frozen: title, authors, dates, venue, ids, links, abstract."
    )
    bibtex = models.TextField(help_text="The BibTeX entry as written when frozen.")
    csl = models.JSONField("CSL-JSON item", help_text="The CSL-JSON item as written when frozen.")

    class Meta:
        ordering = ("listing", "position")
        verbose_name_plural = "listing entries"
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "position"], name="%(app_label)s_%(class)s_unique_position"
            ),
            models.UniqueConstraint(
                fields=["listing", "paper_ref"], name="%(app_label)s_%(class)s_unique_paper"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.listing_id} #{self.position + 1}: {self.record.get('title', '')[:60]}"
