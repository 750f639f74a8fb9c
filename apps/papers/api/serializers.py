"""Papers, authors and placements as the API shows and takes them."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import LinkField, SelectableFieldsSerializer, UrlTemplate
from apps.core.api.strict import IntegerPrimaryKeyRelatedField, RefuseUnknownFieldsMixin
from apps.papers import limits
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


class AttachedField(serializers.Field):
    """Rows `apps.papers.api.relations.attach_relations` put on the paper, already in their
    final shape (the schema comes from `extend_schema_field` on each use)."""

    def __init__(self, attribute: str, **kwargs: Any) -> None:
        self.attribute = attribute
        kwargs.update(read_only=True, source="*")
        super().__init__(**kwargs)

    def to_representation(self, paper: Paper) -> list:
        return getattr(paper, self.attribute)


@extend_schema_field(AuthorshipSerializer(many=True))
class AuthorsField(AttachedField):
    """The paper's authors in order."""


@extend_schema_field(PlacementBriefSerializer(many=True))
class PlacementsField(AttachedField):
    """The placements of the paper the user may see."""


@extend_schema_field({"type": "array", "items": {"type": "string"}})
class CategoryCodesField(AttachedField):
    """The paper's category codes."""


@extend_schema_field(PaperBriefSerializer(many=True))
class CitationsField(AttachedField):
    """Papers of sellm this one cites (`references`) or that cite it (`cited_by`), the ones
    the user may see, newest first."""


class ArxivVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    date = serializers.DateTimeField(allow_null=True)


class PaperSerializer(SelectableFieldsSerializer):
    """A paper with its authors (in order), categories and placements.

    The public sees included papers and their accepted placements; curators see every paper
    and every placement (suggestions included).
    """

    id = serializers.IntegerField(read_only=True)
    url = LinkField("api:paper-detail")
    title = serializers.CharField(read_only=True)
    authors = AuthorsField("author_rows")
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
    categories = CategoryCodesField("category_codes")
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
    references = CitationsField("reference_rows")
    cited_by = CitationsField("cited_by_rows")
    record_incomplete = serializers.BooleanField(
        read_only=True, help_text="Facts are missing or unconfirmed until the next refresh."
    )
    journal_ref = serializers.CharField(read_only=True)
    comment = serializers.CharField(read_only=True)
    license = serializers.CharField(read_only=True)
    bibtex_key = serializers.CharField(read_only=True)
    bibtex_type = serializers.CharField(read_only=True)
    bibtex_fields = serializers.DictField(child=serializers.CharField(), read_only=True)
    placements = PlacementsField("placement_rows")
    status = serializers.ChoiceField(choices=Paper.Status.choices, read_only=True)
    status_reason = serializers.CharField(read_only=True)
    included_at = serializers.DateTimeField(read_only=True, allow_null=True)
    source = serializers.ChoiceField(choices=Paper.Source.choices, read_only=True)  # type: ignore[assignment]  # named like Field.source
    curator_edited_fields = serializers.ListField(child=serializers.CharField(), read_only=True)
    relevance = serializers.SerializerMethodField(
        help_text="How well the paper matches `q` (higher is better); null without `q`."
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(serializers.FloatField(allow_null=True))
    def get_relevance(self, paper: Paper) -> float | None:
        relevance = getattr(paper, "relevance", None)
        return None if relevance is None else round(float(relevance), 6)

    def to_representation(self, paper: Paper) -> dict:
        """The answer DRF's field-by-field rendering gives (a test holds the two equal), built
        directly: a list page renders up to 200 papers, and the generic path cost more than
        the database (bench/api_bench.py)."""
        getters = self.__dict__.get("_getters")
        if getters is None:
            # Field names only: binding copies of all 32 field objects is not needed here.
            names = self.selected_names() or list(self._declared_fields)
            url = UrlTemplate("api:paper-detail", self.context.get("request"))
            getters = self._getters = [(name, _PAPER_GETTERS[name], url) for name in names]
        return {name: getter(paper, url) for name, getter, url in getters}


def _iso(value: datetime | None) -> str | None:
    """A datetime as DRF writes it: ISO 8601 in UTC, with Z."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _relevance(paper: Paper, url: object) -> float | None:
    relevance = getattr(paper, "relevance", None)
    return None if relevance is None else round(float(relevance), 6)


def _attached(attribute: str) -> Callable[[Paper, UrlTemplate], object]:
    """Rows `attach_relations` set on the paper under `attribute`."""
    return lambda paper, url: getattr(paper, attribute)


# One getter per field of PaperSerializer, in its order (checked at import below).
_PAPER_GETTERS: dict[str, Callable[[Paper, UrlTemplate], object]] = {
    "id": lambda p, url: p.pk,
    "url": lambda p, url: url(p.pk),
    "title": lambda p, url: p.title,
    "authors": lambda p, url: p.author_rows,  # type: ignore[attr-defined]  # attach_relations
    "abstract": lambda p, url: p.abstract,
    "year": lambda p, url: p.year,
    "published_at": lambda p, url: _iso(p.published_at),
    "revised_at": lambda p, url: _iso(p.revised_at),
    "arxiv_id": lambda p, url: p.arxiv_id,
    "arxiv_version": lambda p, url: p.arxiv_version,
    "arxiv_versions": lambda p, url: [
        {"version": int(v["version"]), "date": v.get("date") or None} for v in p.arxiv_versions
    ],
    "arxiv_url": lambda p, url: p.arxiv_url,
    "doi": lambda p, url: p.doi,
    "doi_url": lambda p, url: p.doi_url,
    "pdf_url": lambda p, url: p.arxiv_pdf_url,
    "primary_category": lambda p, url: p.primary_category,
    "categories": lambda p, url: p.category_codes,  # type: ignore[attr-defined]
    "venue": lambda p, url: p.venue,
    "kind": lambda p, url: p.kind,
    "code_url": lambda p, url: p.code_url,
    "oa_url": lambda p, url: p.oa_url,
    "curator_note": lambda p, url: p.curator_note,
    "openalex_id": lambda p, url: p.openalex_id,
    "cited_by_count": lambda p, url: p.cited_by_count,
    "cited_by_as_of": lambda p, url: p.cited_by_as_of.isoformat() if p.cited_by_as_of else None,
    "references_outside": lambda p, url: p.references_outside,
    "references": _attached("reference_rows"),
    "cited_by": _attached("cited_by_rows"),
    "record_incomplete": lambda p, url: p.record_incomplete,
    "journal_ref": lambda p, url: p.journal_ref,
    "comment": lambda p, url: p.comment,
    "license": lambda p, url: p.license,
    "bibtex_key": lambda p, url: p.bibtex_key,
    "bibtex_type": lambda p, url: p.bibtex_type,
    "bibtex_fields": lambda p, url: {str(k): str(v) for k, v in p.bibtex_fields.items()},
    "placements": lambda p, url: p.placement_rows,  # type: ignore[attr-defined]
    "status": lambda p, url: p.status,
    "status_reason": lambda p, url: p.status_reason,
    "included_at": lambda p, url: _iso(p.included_at),
    "source": lambda p, url: p.source,
    "curator_edited_fields": lambda p, url: [str(name) for name in p.curator_edited_fields],
    "relevance": _relevance,
    "created_at": lambda p, url: _iso(p.created_at),
    "updated_at": lambda p, url: _iso(p.updated_at),
}
assert list(_PAPER_GETTERS) == list(PaperSerializer._declared_fields), "getters out of step"


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
