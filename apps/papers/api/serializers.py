"""Papers, authors and placements as the API shows and takes them."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import LinkField, SelectableFieldsSerializer
from apps.core.api.rows import FastRowSerializer, PageRowsField
from apps.core.api.strict import IntegerPrimaryKeyRelatedField, RefuseUnknownFieldsMixin
from apps.papers import limits, relations
from apps.papers.api.relations import api_rows
from apps.papers.identifiers import normalize_doi, parse_arxiv_id
from apps.papers.models import Paper, Placement
from apps.papers.services.upsert import TEXT_LIMITS
from apps.taxonomy.api.serializers import (
    ChallengeBriefSerializer,
    DirectionBriefSerializer,
    PhaseBriefSerializer,
)
from apps.taxonomy.models import Challenge, Phase, ResearchDirection


class AuthorshipSerializer(serializers.Serializer):
    """An author in a paper's author list."""

    id = serializers.IntegerField(source="author_id", read_only=True)
    name = serializers.CharField(source="author.name", read_only=True)
    affiliation = serializers.CharField(read_only=True)
    url = LinkField("api:author-detail", lookup_field="author_id")


class PaperBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = LinkField("api:paper-detail")
    title = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)
    arxiv_id = serializers.CharField(read_only=True, allow_null=True)


class PlacementBriefSerializer(serializers.Serializer):
    """A placement as listed with its paper: where, by whom, and its review state."""

    id = serializers.IntegerField(read_only=True)
    url = LinkField("api:placement-detail")
    target_kind = serializers.ChoiceField(
        choices=["phase", "challenge", "direction"], read_only=True
    )
    phase = PhaseBriefSerializer(read_only=True)
    challenge = ChallengeBriefSerializer(read_only=True, allow_null=True)
    direction = DirectionBriefSerializer(read_only=True, allow_null=True)
    origin = serializers.ChoiceField(choices=Placement.Origin.choices, read_only=True)
    confidence = serializers.FloatField(read_only=True, allow_null=True)
    evidence = serializers.CharField(read_only=True)
    review_state = serializers.ChoiceField(choices=Placement.ReviewState.choices, read_only=True)


class PlacementSerializer(SelectableFieldsSerializer, PlacementBriefSerializer):
    """A placement of a paper into a phase, challenge or research direction."""

    paper = PaperBriefSerializer(read_only=True)
    reviewed_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


@extend_schema_field(AuthorshipSerializer(many=True))
class AuthorsField(PageRowsField):
    """The paper's authors in order."""


@extend_schema_field(PlacementBriefSerializer(many=True))
class PlacementsField(PageRowsField):
    """The placements of the paper the user may see."""


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CategoryCodesField(PageRowsField):
    """The paper's category codes."""


@extend_schema_field(PaperBriefSerializer(many=True))
class CitationsField(PageRowsField):
    """Papers of sellm this one cites (`references`) or that cite it (`cited_by`), the ones
    the user may see, newest first."""


class RoundedFloatField(serializers.FloatField):
    """A float to six decimals (a search's relevance)."""

    def to_representation(self, value: Any) -> Any:
        return round(float(value), 6)


class ArxivVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    date = serializers.DateTimeField(allow_null=True)


class PaperSerializer(FastRowSerializer):
    """A paper with its authors (in order), categories and placements.

    The public sees included papers and their accepted placements; curators see every paper
    and every placement (suggestions included).
    """

    # Each field is declared once, with how to read it (a source, or a page loader for the
    # rows beside a paper): the fast rendering, the page loads and `?fields=` follow these.

    id = serializers.IntegerField(read_only=True)
    url = LinkField("api:paper-detail")
    title = serializers.CharField(read_only=True)
    authors = AuthorsField(api_rows(relations.load_authors))
    abstract = serializers.CharField(read_only=True)
    year = serializers.IntegerField(read_only=True, allow_null=True)
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revised_at = serializers.DateTimeField(read_only=True, allow_null=True)
    arxiv_id = serializers.CharField(read_only=True, allow_null=True)
    arxiv_version = serializers.IntegerField(read_only=True, allow_null=True)
    arxiv_versions = ArxivVersionSerializer(many=True, read_only=True)
    arxiv_url = serializers.CharField(read_only=True)
    doi = serializers.CharField(read_only=True, allow_null=True)
    doi_url = serializers.CharField(read_only=True)
    pdf_url = serializers.CharField(
        source="arxiv_pdf_url", read_only=True, help_text="arXiv's PDF (empty without arXiv id)."
    )
    primary_category = serializers.CharField(read_only=True)
    categories = CategoryCodesField(api_rows(relations.load_categories))
    venue = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(
        choices=[("", "not known"), *Paper.Kind.choices],
        read_only=True,
        help_text="What the paper is; empty when not known.",
    )
    code_url = serializers.CharField(read_only=True, help_text="The paper's own repository.")
    oa_url = serializers.CharField(read_only=True, help_text="An open-access copy (OpenAlex).")
    curator_note = serializers.CharField(
        read_only=True, help_text="Why the paper is in sellm, in the curators' words."
    )
    openalex_id = serializers.CharField(read_only=True, allow_null=True)
    cited_by_count = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Citations (OpenAlex); null when not known."
    )
    cited_by_as_of = serializers.DateField(
        read_only=True, allow_null=True, help_text="When `cited_by_count` was read."
    )
    references_outside = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Referenced works that are not in sellm."
    )
    references = CitationsField(api_rows(relations.load_references))
    cited_by = CitationsField(api_rows(relations.load_cited_by))
    record_incomplete = serializers.BooleanField(
        read_only=True, help_text="Facts are missing or unconfirmed until the next refresh."
    )
    journal_ref = serializers.CharField(read_only=True)
    comment = serializers.CharField(read_only=True)
    license = serializers.CharField(read_only=True)
    bibtex_key = serializers.CharField(read_only=True)
    bibtex_type = serializers.CharField(read_only=True)
    bibtex_fields = serializers.DictField(child=serializers.CharField(), read_only=True)
    placements = PlacementsField(api_rows(relations.load_placements))
    status = serializers.ChoiceField(choices=Paper.Status.choices, read_only=True)
    status_reason = serializers.CharField(read_only=True)
    included_at = serializers.DateTimeField(read_only=True, allow_null=True)
    source = serializers.ChoiceField(choices=Paper.Source.choices, read_only=True)  # type: ignore[assignment]  # named like Field.source
    curator_edited_fields = serializers.ListField(child=serializers.CharField(), read_only=True)
    relevance = RoundedFloatField(
        read_only=True,
        allow_null=True,
        help_text="How well the paper matches `q` (higher is better); null without `q`.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class AuthorSerializer(SelectableFieldsSerializer):
    """An author and how many included papers they wrote."""

    id = serializers.IntegerField(read_only=True)
    url = LinkField("api:author-detail")
    name = serializers.CharField(read_only=True)
    paper_count = serializers.IntegerField(read_only=True)


class AuthorDetailSerializer(AuthorSerializer):
    """An author with their papers (newest first; the public sees included papers only)."""

    papers = PaperBriefSerializer(source="visible_papers", many=True, read_only=True)


# --- Writes (validated here, written by apps.papers.services) ------------------------------


def _limit(name: str, default: int = 2000) -> int:
    return TEXT_LIMITS.get(name) or default


class PaperWriteSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """What a curator sends to add or edit a paper."""

    answer_serializer = PaperSerializer

    arxiv_id = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,  # empty, like null: no arXiv id (a form sends "" for an empty field)
        max_length=100,
        help_text="Any spelling; kept versionless.",
    )
    doi = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=300,
        help_text="With or without resolver.",
    )
    title = serializers.CharField(max_length=limits.TITLE)
    abstract = serializers.CharField(required=False, allow_blank=True, max_length=limits.ABSTRACT)
    authors = serializers.ListField(
        child=serializers.CharField(max_length=300),
        required=False,
        max_length=limits.AUTHORS,
        help_text="Author names in order; replaces the list.",
    )
    categories = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        max_length=limits.CATEGORIES,
        help_text="Category codes such as cs.SE; replaces the list.",
    )
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    revised_at = serializers.DateTimeField(required=False, allow_null=True)
    year = serializers.IntegerField(required=False, allow_null=True, min_value=1800, max_value=2200)
    primary_category = serializers.CharField(
        required=False, allow_blank=True, max_length=_limit("primary_category")
    )
    journal_ref = serializers.CharField(
        required=False, allow_blank=True, max_length=limits.JOURNAL_REF
    )
    venue = serializers.CharField(required=False, allow_blank=True, max_length=_limit("venue"))
    comment = serializers.CharField(required=False, allow_blank=True, max_length=limits.COMMENT)
    license = serializers.CharField(required=False, allow_blank=True, max_length=_limit("license"))
    bibtex_key = serializers.CharField(
        required=False, allow_blank=True, max_length=_limit("bibtex_key")
    )
    bibtex_type = serializers.CharField(
        required=False, allow_blank=True, max_length=_limit("bibtex_type")
    )
    status = serializers.ChoiceField(
        choices=Paper.Status.choices,
        required=False,
        help_text="inbox (default for new papers), included (public) or excluded.",
    )
    status_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=limits.STATUS_REASON,
        help_text="Why the paper is excluded (needed with status=excluded).",
    )

    def validate_arxiv_id(self, value: str | None) -> str | None:
        if not value:
            return None
        parsed = parse_arxiv_id(value)
        if parsed is None:
            raise serializers.ValidationError(f"{value!r} is not an arXiv id.")
        return parsed[0]

    def validate_doi(self, value: str | None) -> str | None:
        if not value:
            return None
        doi = normalize_doi(value)
        if doi is None or len(doi) > 255:
            raise serializers.ValidationError(f"{value!r} is not a DOI.")
        return doi

    def validate_title(self, value: str) -> str:
        if not any(ch.isalnum() for ch in value):
            raise serializers.ValidationError("A title needs letters or digits.")
        return value

    def validate(self, attrs: dict) -> dict:
        paper: Paper | None = self.instance
        if attrs.get("status") == Paper.Status.EXCLUDED and not (
            attrs.get("status_reason") or (paper and paper.status == Paper.Status.EXCLUDED)
        ):
            raise serializers.ValidationError({"status_reason": ["Say why the paper is excluded."]})
        if paper is not None:
            taken = {}
            for name in ("arxiv_id", "doi", "bibtex_key"):
                value = attrs.get(name)
                if value and value != getattr(paper, name):
                    other = Paper.objects.filter(**{name: value}).exclude(pk=paper.pk).first()
                    if other is not None:
                        taken[name] = [f"{value} belongs to paper #{other.pk}."]
            if taken:
                raise serializers.ValidationError(taken)
        return attrs


class PlacementWriteSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """What a curator sends to place a paper (one target: phase, challenge or direction)."""

    answer_serializer = PlacementSerializer
    paper = IntegerPrimaryKeyRelatedField(queryset=Paper.objects.all())
    phase = serializers.SlugRelatedField(
        slug_field="slug", queryset=Phase.objects.all(), required=False, allow_null=True
    )
    challenge = serializers.SlugRelatedField(
        slug_field="slug", queryset=Challenge.objects.all(), required=False, allow_null=True
    )
    direction = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=ResearchDirection.objects.all(),
        required=False,
        allow_null=True,
    )
    evidence = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    review_state = serializers.ChoiceField(
        choices=Placement.ReviewState.choices,
        required=False,
        help_text="Only when editing a placement; new placements by curators are accepted.",
    )

    def validate(self, attrs: dict) -> dict:
        targets = [attrs[name] for name in ("direction", "challenge", "phase") if attrs.get(name)]
        editing = self.instance is not None
        if len(targets) > 1 or (not targets and not editing):
            raise serializers.ValidationError(
                {"non_field_errors": ["Name exactly one of phase, challenge or direction."]}
            )
        placed = self.instance
        if placed is not None and "paper" in attrs and attrs["paper"].pk != placed.paper_id:
            raise serializers.ValidationError(
                {"paper": ["A placement stays with its paper; place the other paper instead."]}
            )
        if not editing and "review_state" in attrs:
            raise serializers.ValidationError(
                {"review_state": ["New placements by curators are accepted; leave it out."]}
            )
        if targets:
            attrs["target"] = targets[0]
        return attrs


class ReviewSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """Nothing to send: the URL says accept or reject."""
