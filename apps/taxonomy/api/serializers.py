"""Phases, challenges and research directions as the API shows and takes them."""

from typing import Any, cast
from urllib.parse import urlencode

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import LinkField, SelectableFieldsSerializer
from apps.core.api.strict import RefuseUnknownFieldsMixin
from apps.papers.selectors import taxonomy_paper_counts
from apps.taxonomy.models import Challenge, Phase, Provenance, ResearchDirection, StatusTopic


@extend_schema_field(
    {"type": "integer", "description": "Included papers with an accepted placement here."}
)
class PaperCountField(serializers.Field):
    """A taxonomy item's count of included papers, from one set of counts per answer."""

    def __init__(self, level: str, **kwargs: Any) -> None:
        self.level = level
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, item: Phase | Challenge | ResearchDirection) -> int:
        counts = self.context.get("paper_counts")
        if counts is None:  # once per answer: the context is shared by every row in it
            # Exact on every answer: read from the summary of counts (a few dozen rows).
            counts = cast(dict, self.context)["paper_counts"] = taxonomy_paper_counts()
        return counts[self.level].get(item.pk, 0)


def papers_link(serializer: serializers.Serializer, parameter: str, slug: str) -> str:
    """URL of the paper list filtered to one taxonomy item."""
    url = f"{reverse('api:paper-list')}?{urlencode({parameter: slug})}"
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request else url


class PhaseBriefSerializer(serializers.Serializer):
    slug = serializers.SlugField(read_only=True)
    name = serializers.CharField(read_only=True)
    url = LinkField("api:phase-detail", lookup_field="slug")


class ChallengeBriefSerializer(PhaseBriefSerializer):
    url = LinkField("api:challenge-detail", lookup_field="slug")


class DirectionBriefSerializer(PhaseBriefSerializer):
    url = LinkField("api:direction-detail", lookup_field="slug")


class CountedChallengeSerializer(ChallengeBriefSerializer):
    paper_count = PaperCountField("challenge")


class CountedDirectionSerializer(DirectionBriefSerializer):
    status = serializers.ChoiceField(choices=ResearchDirection.Status.choices, read_only=True)
    paper_count = PaperCountField("direction")


class StatusTopicSerializer(serializers.ModelSerializer):
    class Meta:
        model = StatusTopic
        fields = ("name", "note", "provenance")
        read_only_fields = fields


class _TaxonomyItemSerializer(SelectableFieldsSerializer, serializers.ModelSerializer):
    papers = serializers.SerializerMethodField(help_text="The paper list filtered to this item.")
    papers_parameter = ""

    @extend_schema_field(serializers.URLField())
    def get_papers(self, item: Phase | Challenge | ResearchDirection) -> str:
        return papers_link(self, self.papers_parameter, item.slug)


class PhaseSerializer(_TaxonomyItemSerializer):
    """A lifecycle phase with its research-status topics, challenges and directions."""

    url = LinkField("api:phase-detail", lookup_field="slug")
    status_topics = StatusTopicSerializer(many=True, read_only=True)
    challenges = CountedChallengeSerializer(many=True, read_only=True)
    directions = CountedDirectionSerializer(many=True, read_only=True)
    paper_count = PaperCountField("phase")
    papers_parameter = "phase"

    class Meta:
        model = Phase
        fields = (
            "slug",
            "url",
            "order",
            "name",
            "summary",
            "description",
            "keywords",
            "status_topics",
            "challenges",
            "directions",
            "paper_count",
            "papers",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class ChallengeSerializer(_TaxonomyItemSerializer):
    """A key challenge, its phase and the directions that address it."""

    url = LinkField("api:challenge-detail", lookup_field="slug")
    phase = PhaseBriefSerializer(read_only=True)
    directions = CountedDirectionSerializer(many=True, read_only=True)
    paper_count = PaperCountField("challenge")
    papers_parameter = "challenge"

    class Meta:
        model = Challenge
        fields = (
            "slug",
            "url",
            "phase",
            "name",
            "summary",
            "description",
            "provenance",
            "keywords",
            "position",
            "directions",
            "paper_count",
            "papers",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class DirectionSerializer(_TaxonomyItemSerializer):
    """A research direction, its phase and the challenges it addresses."""

    url = LinkField("api:direction-detail", lookup_field="slug")
    phase = PhaseBriefSerializer(read_only=True)
    challenges = CountedChallengeSerializer(many=True, read_only=True)
    paper_count = PaperCountField("direction")
    papers_parameter = "direction"

    class Meta:
        model = ResearchDirection
        fields = (
            "slug",
            "url",
            "phase",
            "name",
            "summary",
            "description",
            "provenance",
            "status",
            "position",
            "challenges",
            "paper_count",
            "papers",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


# --- Writes (validated here, written by the taxonomy services) -----------------------------


class KeywordsField(serializers.ListField):
    child = serializers.CharField(max_length=100)
    max_length = 50


class PhaseWriteSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """What a curator sends to add or edit a phase."""

    answer_serializer = PhaseSerializer

    order = serializers.IntegerField(min_value=1, max_value=32767)
    keywords = KeywordsField(required=False)

    class Meta:
        model = Phase
        fields = ("slug", "order", "name", "summary", "description", "keywords")


class ChallengeWriteSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """What a curator sends to add or edit a challenge (its phase by slug)."""

    answer_serializer = ChallengeSerializer

    phase = serializers.SlugRelatedField(slug_field="slug", queryset=Phase.objects.all())
    provenance = serializers.ChoiceField(choices=Provenance.choices, default=Provenance.CURATED)
    keywords = KeywordsField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)

    class Meta:
        model = Challenge
        fields = (
            "slug",
            "phase",
            "name",
            "summary",
            "description",
            "provenance",
            "keywords",
            "position",
        )


class DirectionWriteSerializer(RefuseUnknownFieldsMixin, serializers.ModelSerializer):
    """What a curator sends to add or edit a direction (phase and challenges by slug)."""

    answer_serializer = DirectionSerializer

    phase = serializers.SlugRelatedField(slug_field="slug", queryset=Phase.objects.all())
    challenges = serializers.SlugRelatedField(
        slug_field="slug", queryset=Challenge.objects.all(), many=True, required=False
    )
    provenance = serializers.ChoiceField(choices=Provenance.choices, default=Provenance.CURATED)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)

    class Meta:
        model = ResearchDirection
        fields = (
            "slug",
            "phase",
            "name",
            "summary",
            "description",
            "provenance",
            "status",
            "position",
            "challenges",
        )

    def validate(self, attrs: dict) -> dict:
        phase = attrs.get("phase", getattr(self.instance, "phase", None))
        challenges = attrs.get("challenges")
        if challenges is None and self.instance is not None and "phase" in attrs:
            challenges = list(self.instance.challenges.all())
        elsewhere = [c.slug for c in challenges or () if c.phase_id != getattr(phase, "pk", None)]
        if elsewhere:
            raise serializers.ValidationError(
                {
                    "challenges": [
                        f"Not challenges of phase {getattr(phase, 'slug', '?')}: "
                        f"{', '.join(elsewhere)}."
                    ]
                }
            )
        return attrs
