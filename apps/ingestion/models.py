"""Where papers come from: harvest sources on a schedule, and a record of every run."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TimeStampedModel


class HarvestSource(TimeStampedModel):
    """An arXiv search query or OAI-PMH set that Celery beat harvests every `interval`.

    `harvested_until` is the cursor of incremental harvests: the next run asks for records
    changed since then.
    """

    class Kind(models.TextChoices):
        ARXIV_QUERY = "arxiv_query", "arXiv API query"
        OAI_SET = "oai_set", "arXiv OAI-PMH set"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    query = models.TextField(
        blank=True, help_text='arXiv search query, e.g. cat:cs.SE AND abs:"large language model"'
    )
    oai_set = models.CharField("OAI set", max_length=100, blank=True, help_text="e.g. cs")
    metadata_prefix = models.CharField(max_length=20, default="arXivRaw")
    max_results = models.PositiveIntegerField(
        default=1000, help_text="Most records one run of a query takes."
    )
    interval = models.DurationField(default=timedelta(days=1))
    enabled = models.BooleanField(default=True)
    harvested_until = models.DateTimeField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ("name",)
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="arxiv_query") & ~Q(query=""))
                | (Q(kind="oai_set") & ~Q(oai_set="")),
                name="%(app_label)s_%(class)s_kind_has_target",
            ),
            models.CheckConstraint(
                condition=Q(max_results__gte=1), name="%(app_label)s_%(class)s_max_results_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IngestRunQuerySet(models.QuerySet["IngestRun"]):
    def active(self) -> "IngestRunQuerySet":
        """Runs not finished yet: pending or running."""
        return self.filter(status__in=[IngestRun.Status.PENDING, IngestRun.Status.RUNNING])

    def stalled(self, *, now: datetime | None = None) -> "IngestRunQuerySet":
        """Active runs that have not moved for INGEST_STALLED_AFTER seconds: their task is
        lost (every claim and every page moves `updated_at`). The one definition of stalled."""
        return self.active().filter(updated_at__lt=stalled_before(now))

    def moving(self, *, now: datetime | None = None) -> "IngestRunQuerySet":
        """Active runs that are not stalled."""
        return self.active().filter(updated_at__gte=stalled_before(now))


def stalled_before(now: datetime | None = None) -> datetime:
    """An active run last moved before this moment is stalled."""
    return (now or timezone.now()) - timedelta(seconds=settings.INGEST_STALLED_AFTER)


class IngestRun(TimeStampedModel):
    """One ingestion: its parameters, where it stands (`cursor`), its counts and errors.

    Status: pending → running → succeeded | failed; a failed run can be resumed from its cursor
    (back to pending). Counts: every record seen ends as created, updated, unchanged or failed.
    """

    class Kind(models.TextChoices):
        ARXIV_IDS = "arxiv_ids", "arXiv ids"
        ARXIV_QUERY = "arxiv_query", "arXiv query"
        OAI_SET = "oai_set", "OAI-PMH set"
        SAVED_RESPONSE = "saved_response", "Saved arXiv response"
        BIBTEX = "bibtex", "BibTeX import"
        ARXIV_REFRESH = "arxiv_refresh", "Refresh from arXiv"
        OPENALEX = "openalex", "OpenAlex enrichment"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED_STATUSES = frozenset({Status.SUCCEEDED, Status.FAILED})
    objects = IngestRunQuerySet.as_manager()
    MAX_ERRORS = 1000  # per-record errors kept on the row; the count keeps going past it

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    source = models.ForeignKey(
        HarvestSource, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs"
    )
    parameters = models.JSONField(default=dict, blank=True)
    cursor = models.JSONField(default=dict, blank=True, help_text="Where a resumed run goes on.")
    total = models.PositiveIntegerField(null=True, blank=True, help_text="Records expected.")
    seen = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(
        default=list, blank=True, help_text='Per-record failures: [{"record": …, "reason": …}].'
    )
    message = models.TextField(blank=True, help_text="Why the run failed, if it did.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="ingest_runs",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = [
            models.CheckConstraint(
                condition=Q(created__lte=models.F("seen"))
                & Q(updated__lte=models.F("seen"))
                & Q(unchanged__lte=models.F("seen"))
                & Q(failed__lte=models.F("seen")),
                name="%(app_label)s_%(class)s_counts_within_seen",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "succeeded", "failed"]),
                name="%(app_label)s_%(class)s_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED_STATUSES

    @property
    def is_stalled(self) -> bool:
        """Pending or running, and not moved for INGEST_STALLED_AFTER (as `stalled()`)."""
        return not self.is_finished and self.updated_at < stalled_before()

    @property
    def is_resumable(self) -> bool:
        """A failed run, or a stalled one (its task lost: a killed in-process run, say)."""
        return self.status == self.Status.FAILED or self.is_stalled


# --- BibTeX import (issue 6) --------------------------------------------------------------


class BibtexImport(TimeStampedModel):
    """A BibTeX file a curator imported from the admin or the API, with its run.

    The text is stored so that a worker can read it and a failed run can resume from its
    cursor; `warnings` holds what the parser noticed about the whole file (duplicate keys,
    broken @string blocks), `notes` the entries whose outcome came with a reason.
    """

    MAX_NOTES = 1000

    run = models.OneToOneField(IngestRun, on_delete=models.CASCADE, related_name="bibtex_import")
    filename = models.CharField(max_length=255, blank=True)
    text = models.TextField(help_text="The file as uploaded (UTF-8).")
    sha256 = models.CharField("SHA-256", max_length=64)
    size = models.PositiveIntegerField(help_text="Bytes.")
    entry_count = models.PositiveIntegerField(help_text="Entry blocks in the file.")
    warnings = models.JSONField(default=list, blank=True)
    notes = models.JSONField(
        default=list,
        blank=True,
        help_text='Entries with a reason: [{"line": 12, "key": …, "action": …, "reason": …}].',
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = "BibTeX import"

    def __str__(self) -> str:
        return self.filename or f"BibTeX import #{self.pk}"
