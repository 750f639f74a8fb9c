"""The survey's lifecycle taxonomy: phases, their research-status topics, key challenges and
research directions. Curators refine it in the admin; the seed loader only adds."""

from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.core.models import CuratedModel


class Provenance(models.TextChoices):
    """Where a taxonomy item comes from."""

    SURVEY = "survey", "Stated in the survey"
    CURATED = "curated", "Added by curators"


class Phase(CuratedModel):
    """One of the six lifecycle phases of the survey, in lifecycle order."""

    slug = models.SlugField(max_length=64, unique=True)
    order = models.PositiveSmallIntegerField(unique=True, help_text="Position in the lifecycle.")
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    description = models.TextField(blank=True)
    keywords = models.JSONField(
        default=list, blank=True, help_text="Terms that suggest a paper belongs to this phase."
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ("order",)
        constraints = [
            models.CheckConstraint(
                condition=Q(order__gte=1), name="%(app_label)s_%(class)s_order_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StatusTopic(CuratedModel):
    """A topic of a phase's research status, as the survey reports it (e.g. "RE for building
    LLMs: few studies so far")."""

    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="status_topics")
    name = models.CharField(max_length=300)
    note = models.CharField(max_length=300, blank=True)
    provenance = models.CharField(
        max_length=16, choices=Provenance.choices, default=Provenance.CURATED
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ("phase__order", "position", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["phase", "name"], name="%(app_label)s_%(class)s_unique_name_per_phase"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Challenge(CuratedModel):
    """A key challenge of a phase."""

    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="challenges")
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    description = models.TextField(blank=True)
    provenance = models.CharField(
        max_length=16, choices=Provenance.choices, default=Provenance.CURATED
    )
    keywords = models.JSONField(
        default=list, blank=True, help_text="Terms that suggest a paper addresses this challenge."
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ("phase__order", "position", "name")

    def __str__(self) -> str:
        return self.name


class ResearchDirection(CuratedModel):
    """A research direction of a phase and the challenges it addresses.

    Status moves open → active → partly addressed as curators judge the literature.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACTIVE = "active", "Active"
        PARTLY_ADDRESSED = "partly_addressed", "Partly addressed"

    phase = models.ForeignKey(Phase, on_delete=models.PROTECT, related_name="directions")
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    description = models.TextField(blank=True)
    provenance = models.CharField(
        max_length=16, choices=Provenance.choices, default=Provenance.CURATED
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    challenges = models.ManyToManyField(
        Challenge,
        related_name="directions",
        blank=True,
        help_text="The challenges this direction addresses.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    history = HistoricalRecords(m2m_fields=[challenges])

    class Meta:
        ordering = ("phase__order", "position", "name")
        verbose_name = "research direction"

    def __str__(self) -> str:
        return self.name
