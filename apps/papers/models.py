"""Papers, their authors, and their placements in the survey's taxonomy."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.expressions import OrderBy
from simple_history.models import HistoricalRecords

from apps.core.fields import FoldedKeyField, FoldedKeyModel, FoldedKeyQuerySet
from apps.core.models import CuratedModel, TimeStampedModel
from apps.papers import limits

# By date, falling back to the year where a paper has no date (imports often give only a
# year): the year orders first, then the date within it, undated papers last in their year.
# Served by the index papers_paper_newest_first.
NEWEST_FIRST: tuple[OrderBy | str, ...] = (
    F("year").desc(nulls_last=True),
    F("published_at").desc(nulls_last=True),
    "-id",
)
OLDEST_FIRST: tuple[OrderBy | str, ...] = (
    F("year").asc(nulls_last=True),
    F("published_at").asc(nulls_last=True),
    "id",
)


class Category(models.Model):
    """An arXiv subject category such as cs.SE (or a category named by a BibTeX import)."""

    code = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ("code",)
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.code


class AuthorQuerySet(FoldedKeyQuerySet["Author"]):
    """Authors; `update(name=…)` recomputes `name_key` too."""


class Author(FoldedKeyModel, CuratedModel):
    """A person who wrote papers; one row per distinct folded name."""

    name = models.CharField(max_length=300)
    name_key = FoldedKeyField(
        max_length=300,
        unique=True,
        source="name",
        help_text="Folded name (lower case, no accents or punctuation) that imports match on; "
        "derived from the name on every write.",
    )

    history = HistoricalRecords()
    objects = AuthorQuerySet.as_manager()

    class Meta:
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class PaperQuerySet(FoldedKeyQuerySet["Paper"]):
    def included(self) -> "PaperQuerySet":
        """Papers curators have included: the only ones the public sees."""
        return self.filter(status=Paper.Status.INCLUDED)

    def placed_in(self, **lookups: object) -> "PaperQuerySet":
        """Papers with an accepted placement matching `lookups` (`phase=…`, `challenge__in=…`).

        An EXISTS subquery: no JOIN fan-out, no DISTINCT, combinable with other filters.
        """
        placements = Placement.objects.accepted().filter(paper=OuterRef("pk"), **lookups)
        return self.filter(Exists(placements))


class Paper(FoldedKeyModel, CuratedModel):
    """A research paper. arXiv papers are keyed by their versionless `arxiv_id`; others by DOI,
    or by folded title, year and first author.

    Curation status: inbox → included | excluded (with a reason); either can be reverted.
    Only included papers are public.
    """

    class Status(models.TextChoices):
        INBOX = "inbox", "Inbox"
        INCLUDED = "included", "Included"
        EXCLUDED = "excluded", "Excluded"

    class Source(models.TextChoices):
        ARXIV = "arxiv", "arXiv"
        BIBTEX = "bibtex", "BibTeX import"
        MANUAL = "manual", "Entered by hand"
        SEED = "seed", "Survey seed"

    class Kind(models.TextChoices):
        BENCHMARK = "benchmark", "Benchmark"
        DATASET = "dataset", "Dataset"
        TOOL = "tool", "Tool"
        TECHNIQUE = "technique", "Technique"
        EMPIRICAL_STUDY = "empirical-study", "Empirical study"
        SURVEY = "survey", "Survey"
        POSITION = "position", "Position paper"

    # NULL, not "", when absent: the unique constraints hold only where an id is present.
    arxiv_id = models.CharField(  # noqa: DJ001
        "arXiv id",
        max_length=32,
        null=True,
        blank=True,
        help_text="Versionless: 2401.01234 or cs/0503050.",
    )
    arxiv_version = models.PositiveSmallIntegerField("arXiv version", null=True, blank=True)
    arxiv_versions = models.JSONField(
        "arXiv versions",
        default=list,
        blank=True,
        help_text='Every version seen, oldest first: [{"version": 1, "date": "2024-01-02T…"}].',
    )
    doi = models.CharField(  # noqa: DJ001
        "DOI", max_length=255, null=True, blank=True, help_text="Lower case, without resolver."
    )
    title = models.TextField(max_length=limits.TITLE)
    title_key = FoldedKeyField(max_length=255, db_index=True, source="title")
    abstract = models.TextField(blank=True, max_length=limits.ABSTRACT)
    author_names = models.TextField(
        blank=True, editable=False, help_text="Authors in order, for search and history."
    )
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="First arXiv version, or the publication date."
    )
    revised_at = models.DateTimeField(null=True, blank=True, help_text="Latest arXiv version.")
    year = models.PositiveSmallIntegerField(null=True, blank=True, db_index=True)
    primary_category = models.CharField(max_length=40, blank=True)
    categories = models.ManyToManyField(Category, related_name="papers", blank=True)
    journal_ref = models.TextField("journal reference", blank=True, max_length=limits.JOURNAL_REF)
    venue = models.CharField(max_length=500, blank=True, help_text="Journal or proceedings.")
    comment = models.TextField(blank=True, max_length=limits.COMMENT)
    license = models.CharField(max_length=300, blank=True)
    bibtex_key = models.CharField("BibTeX key", max_length=255, blank=True)
    bibtex_type = models.CharField("BibTeX entry type", max_length=32, blank=True)
    bibtex_fields = models.JSONField(
        "other BibTeX fields",
        default=dict,
        blank=True,
        help_text="Every imported BibTeX field without a column of its own, kept as written.",
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.INBOX, db_index=True
    )
    status_reason = models.TextField(
        blank=True, max_length=limits.STATUS_REASON, help_text="Why the paper was excluded."
    )
    included_at = models.DateTimeField(null=True, blank=True, db_index=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.MANUAL)
    kind = models.CharField(
        max_length=20, choices=Kind.choices, blank=True, db_index=True, help_text="What it is."
    )
    code_url = models.URLField("code", max_length=500, blank=True, help_text="Its own repository.")
    oa_url = models.URLField(
        "open-access copy", max_length=1000, blank=True, help_text="From OpenAlex."
    )
    # Enrichment (OpenAlex): what sellm read, and when; empty until a refresh finds it.
    openalex_id = models.CharField(  # noqa: DJ001
        "OpenAlex id", max_length=32, null=True, blank=True, help_text="W2741809807."
    )
    cited_by_count = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    cited_by_as_of = models.DateField(
        null=True, blank=True, help_text="When the cited-by count was read."
    )
    references_outside = models.PositiveIntegerField(
        null=True, blank=True, help_text="Referenced works that are not papers of sellm."
    )
    enriched_at = models.DateTimeField(null=True, blank=True, help_text="Last OpenAlex enrichment.")
    curator_note = models.TextField(
        blank=True,
        help_text="Why the paper is in sellm and where it sits, in the curators' own words.",
    )
    record_incomplete = models.BooleanField(
        default=False,
        db_index=True,
        help_text="Facts are missing or unconfirmed: the next refresh should complete them.",
    )

    history = HistoricalRecords(excluded_fields=["title_key"])
    objects = PaperQuerySet.as_manager()

    # The rows shown beside the paper, set on the papers of a page or an export by
    # `apps.papers.relations.attach_relations` (one query per relation for all of them).
    author_rows: list[dict]
    placement_rows: list[dict]
    category_codes: list[str]

    class Meta:
        ordering = ("-published_at", "-id")
        indexes = [
            models.Index(fields=["status", "-published_at"], name="papers_paper_status_pub"),
            # The public's lists count and filter included papers from this narrow index
            # instead of the table (whose rows carry abstracts and search documents, 180 MB
            # at 100,000 papers): a count by year, or the ids a placement filter joins.
            models.Index(
                fields=["year", "id"],
                condition=Q(status="included"),
                name="papers_paper_included_year",
            ),
            # "Newest first" (filtersets.NEWEST_FIRST) has a PostgreSQL-only index with NULLS
            # LAST, which SQLite cannot index: migration 0006 creates it.
            # Prefix scans of citation keys (`hou2023large%`) when a stem's 26 lettered
            # variants are all taken: the unique index cannot serve LIKE outside the C locale
            # (a full-table scan, ~100 ms a stem at 100,000 papers; 0.1 ms with this index).
            models.Index(
                fields=["bibtex_key"],
                opclasses=["varchar_pattern_ops"],
                name="papers_paper_bibtex_key_like",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["arxiv_id"],
                condition=Q(arxiv_id__isnull=False),
                name="%(app_label)s_%(class)s_unique_arxiv_id",
            ),
            models.UniqueConstraint(
                fields=["openalex_id"],
                condition=Q(openalex_id__isnull=False),
                name="%(app_label)s_%(class)s_unique_openalex_id",
            ),
            models.UniqueConstraint(
                fields=["doi"],
                condition=Q(doi__isnull=False),
                name="%(app_label)s_%(class)s_unique_doi",
            ),
            models.UniqueConstraint(
                fields=["bibtex_key"],
                condition=~Q(bibtex_key=""),
                name="%(app_label)s_%(class)s_unique_bibtex_key",
            ),
            models.CheckConstraint(
                condition=~Q(arxiv_id="") & ~Q(doi=""),
                name="%(app_label)s_%(class)s_ids_null_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(arxiv_version__isnull=True)
                | (Q(arxiv_version__gte=1) & Q(arxiv_id__isnull=False)),
                name="%(app_label)s_%(class)s_version_needs_arxiv_id",
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | Q(year__gte=1800, year__lte=2200),
                name="%(app_label)s_%(class)s_year_plausible",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["inbox", "included", "excluded"]),
                name="%(app_label)s_%(class)s_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="included") | Q(included_at__isnull=False),
                name="%(app_label)s_%(class)s_included_has_date",
            ),
            models.CheckConstraint(
                condition=Q(source__in=["arxiv", "bibtex", "manual", "seed"]),
                name="%(app_label)s_%(class)s_source_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title[:80]

    @property
    def arxiv_url(self) -> str:
        return f"https://arxiv.org/abs/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def arxiv_pdf_url(self) -> str:
        """arXiv's PDF of the latest version (sellm links to it; it never serves PDFs)."""
        return f"https://arxiv.org/pdf/{self.arxiv_id}" if self.arxiv_id else ""

    @property
    def doi_url(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else ""


class Citation(models.Model):
    """`citing` lists `cited` among its references; both are papers of sellm (OpenAlex)."""

    citing = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="references")
    cited = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="cited_by")
    created_at = models.DateTimeField(auto_now_add=True, editable=False)

    class Meta:
        ordering = ("citing", "cited")
        constraints = [
            models.UniqueConstraint(
                fields=["citing", "cited"], name="%(app_label)s_%(class)s_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(citing=models.F("cited")), name="%(app_label)s_%(class)s_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.citing_id} cites {self.cited_id}"


class ReferencedWork(models.Model):
    """An OpenAlex work that a paper's reference list names, as OpenAlex last read it.

    Kept whole (not only the works already in sellm) so that a paper enriched later is linked
    from the papers that cite it: `Citation` rows are derived from these and `openalex_id`.
    """

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="referenced_works")
    work_id = models.CharField("OpenAlex work id", max_length=32, db_index=True)

    class Meta:
        ordering = ("paper", "work_id")
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "work_id"], name="%(app_label)s_%(class)s_unique_pair"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} references {self.work_id}"


class Authorship(models.Model):
    """An author's place in a paper's author list (position 0 is the first author)."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="authorships")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="authorships")
    position = models.PositiveSmallIntegerField()
    affiliation = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ("paper", "position")
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "position"], name="%(app_label)s_%(class)s_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author} ({self.position + 1})"


class PlacementQuerySet(models.QuerySet["Placement"]):
    def accepted(self) -> "PlacementQuerySet":
        """Placements the public sees."""
        return self.filter(review_state=Placement.ReviewState.ACCEPTED)

    def pending(self) -> "PlacementQuerySet":
        """Placements waiting for a curator's decision."""
        return self.filter(review_state=Placement.ReviewState.PENDING)

    def for_display(self) -> "PlacementQuerySet":
        """With the taxonomy rows a placement names, fetched in the same query."""
        return self.select_related("phase", "challenge", "direction").order_by("phase__order", "id")


class Placement(TimeStampedModel):
    """A claim that a paper belongs to a phase, a challenge or a research direction.

    The target is the direction if set, else the challenge, else the phase; `phase` is always
    filled (the target's phase) so that "papers of a phase" is one indexed lookup.
    Review: pending → accepted | rejected, by a curator (survey placements start accepted).
    """

    class Origin(models.TextChoices):
        SURVEY = "survey", "Survey"
        CURATOR = "curator", "Curator"
        SUGGESTED = "suggested", "Suggested"

    class ReviewState(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="placements")
    phase = models.ForeignKey("taxonomy.Phase", on_delete=models.PROTECT, related_name="placements")
    challenge = models.ForeignKey(
        "taxonomy.Challenge",
        on_delete=models.PROTECT,
        related_name="placements",
        null=True,
        blank=True,
    )
    direction = models.ForeignKey(
        "taxonomy.ResearchDirection",
        on_delete=models.PROTECT,
        related_name="placements",
        null=True,
        blank=True,
    )
    origin = models.CharField(max_length=16, choices=Origin.choices)
    confidence = models.FloatField(null=True, blank=True, help_text="0 to 1, for suggestions.")
    evidence = models.TextField(blank=True, help_text="Why the paper belongs here.")
    review_state = models.CharField(
        max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING, db_index=True
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reviewed_placements",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = PlacementQuerySet.as_manager()

    class Meta:
        ordering = ("id",)
        # A list filtered by phase, challenge or direction reads the papers placed there from
        # these alone (an index-only scan; not the rows, with their notes): at 100,000 papers
        # the count of one phase's list fell from 465 ms to about 40 ms.
        indexes = [
            models.Index(
                fields=[target, "paper"],
                condition=Q(review_state="accepted"),
                name=f"papers_placed_{target}",
            )
            for target in ("phase", "challenge", "direction")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(challenge__isnull=True) | Q(direction__isnull=True),
                name="%(app_label)s_%(class)s_one_target",
            ),
            models.UniqueConstraint(
                fields=["paper", "phase"],
                condition=Q(challenge__isnull=True, direction__isnull=True),
                name="%(app_label)s_%(class)s_unique_paper_phase",
            ),
            models.UniqueConstraint(
                fields=["paper", "challenge"],
                condition=Q(challenge__isnull=False),
                name="%(app_label)s_%(class)s_unique_paper_challenge",
            ),
            models.UniqueConstraint(
                fields=["paper", "direction"],
                condition=Q(direction__isnull=False),
                name="%(app_label)s_%(class)s_unique_paper_direction",
            ),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="%(app_label)s_%(class)s_confidence_range",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=["survey", "curator", "suggested"]),
                name="%(app_label)s_%(class)s_origin_valid",
            ),
            models.CheckConstraint(
                condition=Q(review_state__in=["pending", "accepted", "rejected"]),
                name="%(app_label)s_%(class)s_review_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper} → {self.target}"

    @property
    def target(self) -> models.Model:
        """The phase, challenge or direction this placement names."""
        return self.direction or self.challenge or self.phase

    @property
    def target_kind(self) -> str:
        if self.direction_id:
            return "direction"
        return "challenge" if self.challenge_id else "phase"


class RelatedPaper(models.Model):
    """One of a paper's nearest neighbours by content (TF-IDF cosine over title, abstract and
    curators' notes), precomputed by `related_papers_refresh` so that the paper page reads a
    few rows instead of comparing texts on every request. Rebuilt whole, never edited."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="neighbours")
    related = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="neighbour_of")
    rank = models.PositiveSmallIntegerField()
    similarity = models.FloatField()
    words = models.JSONField(default=list, blank=True, help_text="The words both papers weigh.")
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ("paper", "rank")
        constraints = [
            models.UniqueConstraint(
                fields=["paper", "related"], name="%(app_label)s_%(class)s_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(paper=models.F("related")), name="%(app_label)s_%(class)s_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.paper_id} ~ {self.related_id} ({self.similarity:.2f})"


class Synonym(TimeStampedModel):
    """Two ways of naming the same thing in the field ("LLM" and "large language model").

    Search treats them as one (query expansion, both directions); pairs sharing a term join
    into one set. Curators edit the list in the admin; `apps.papers.services.synonyms` writes.
    """

    term = models.CharField(max_length=200, help_text="An abbreviation or short form: LLM.")
    equivalent = models.CharField(
        max_length=200, help_text="What it stands for, or another spelling: large language model."
    )
    note = models.CharField(max_length=300, blank=True, help_text="Why they mean the same.")

    history = HistoricalRecords()

    class Meta:
        ordering = ("term", "equivalent")
        constraints = [
            models.UniqueConstraint(
                fields=["term", "equivalent"], name="%(app_label)s_%(class)s_unique_pair"
            ),
            models.CheckConstraint(
                condition=~Q(term="") & ~Q(equivalent=""),
                name="%(app_label)s_%(class)s_not_empty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.term} = {self.equivalent}"


class PaperCount(models.Model):
    """Included papers in one cell: a dimension (all, phase, challenge, direction, category),
    an item of it (a taxonomy id, a category code, "" for all) and a year (0: none).

    Written only by database triggers and `counts_recompute` (apps/papers/counts.py), so it
    moves with every write to papers, placements and category links; overview pages and
    unfiltered facets read it instead of grouping the whole paper table per request.
    """

    class Dimension(models.TextChoices):
        ALL = "all", "All papers"
        PHASE = "phase", "Phase"
        CHALLENGE = "challenge", "Challenge"
        DIRECTION = "direction", "Research direction"
        CATEGORY = "category", "arXiv category"

    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    item = models.CharField(max_length=40, blank=True)
    year = models.PositiveSmallIntegerField(help_text="0: papers without a year.")
    papers = models.IntegerField(default=0)

    class Meta:
        ordering = ("dimension", "item", "year")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "item", "year"], name="%(app_label)s_%(class)s_unique_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension} {self.item} {self.year}: {self.papers}"
