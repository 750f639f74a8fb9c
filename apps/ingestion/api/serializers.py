"""Ingestion runs and ingestion requests as the API shows and takes them."""

from rest_framework import serializers

from apps.core.api.fields import LinkField, SelectableFieldsSerializer
from apps.core.api.strict import RefuseUnknownFieldsMixin
from apps.ingestion import limits
from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.specs import ArxivIdsSpec, ArxivQuerySpec, RunSpec, SpecError
from apps.papers.models import Paper


class IngestRunSerializer(SelectableFieldsSerializer, serializers.ModelSerializer):
    """One ingestion run: what it was asked, where it stands, its counts and errors."""

    url = LinkField("api:ingestrun-detail")
    progress = serializers.SerializerMethodField(
        help_text="Share of the expected records seen (0 to 1); null while the total is unknown."
    )
    requested_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username",
        read_only=True,
        allow_null=True,
        help_text="Username of the curator who asked for the run (null for scheduled runs).",
    )
    source: serializers.SlugRelatedField = serializers.SlugRelatedField(  # type: ignore[assignment]  # a field named like Field.source
        slug_field="name",
        read_only=True,
        allow_null=True,
        help_text="Name of the harvest source, for scheduled harvests.",
    )

    class Meta:
        model = IngestRun
        fields = (
            "id",
            "url",
            "kind",
            "status",
            "source",
            "parameters",
            "total",
            "seen",
            "progress",
            "created",
            "updated",
            "unchanged",
            "failed",
            "errors",
            "message",
            "requested_by",
            "started_at",
            "finished_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_progress(self, run: IngestRun) -> float | None:
        if run.status == IngestRun.Status.SUCCEEDED:
            return 1.0
        if not run.total:
            return None
        return round(min(run.seen / run.total, 1.0), 4)


class IngestRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """What to ingest: arXiv ids (any spelling: 2401.01234, arXiv:2401.01234v2, abs URLs) or
    one arXiv search query — exactly one of the two."""

    MAX_IDS = limits.MAX_IDS
    MAX_QUERY_RESULTS = limits.MAX_QUERY_RESULTS

    arxiv_ids = serializers.ListField(
        child=serializers.CharField(max_length=100),
        min_length=1,
        max_length=MAX_IDS,
        required=False,
        help_text="arXiv ids to look up.",
    )
    query = serializers.CharField(
        max_length=limits.MAX_QUERY_LENGTH,
        required=False,
        help_text='An arXiv API search query, e.g. cat:cs.SE AND abs:"large language model".',
    )
    max_results = serializers.IntegerField(
        min_value=1,
        max_value=MAX_QUERY_RESULTS,
        default=1000,
        help_text="Most records a query run takes (newest submissions first).",
    )

    def validate(self, attrs: dict) -> dict:
        """Build the run's spec (`spec` in validated_data): the one place it is validated."""
        if "arxiv_ids" in attrs and "query" in attrs:
            raise serializers.ValidationError("Give either arxiv_ids or query, not both.")
        if "arxiv_ids" not in attrs and "query" not in attrs:
            raise serializers.ValidationError("Give arxiv_ids or a query.")
        try:
            if "query" in attrs:
                spec: RunSpec = ArxivQuerySpec(query=attrs["query"], max=attrs["max_results"])
            else:
                spec = ArxivIdsSpec(ids=tuple(attrs["arxiv_ids"]))
        except SpecError as error:
            field = "query" if "query" in attrs else "arxiv_ids"
            raise serializers.ValidationError({field: [error.message]}) from error
        return {**attrs, "spec": spec}


class RefreshRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """Which papers to refresh, and from where: their ids in sellm (papers the source cannot
    be asked about are left out; at least one must be askable)."""

    MAX_PAPERS = 1000

    papers = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),  # BigAutoField
        min_length=1,
        max_length=MAX_PAPERS,
        help_text="Ids of the papers to refresh.",
    )
    # Named like Field.source; DRF's metaclass moves declared fields off the class.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["arxiv", "openalex"],
        default="arxiv",
        help_text="arxiv: re-fetch by arXiv id; openalex: cited-by counts, citation links, "
        "open-access links and venues, looked up by DOI (arXiv papers by their arXiv DOI).",
    )

    def validate_papers(self, values: list[int]) -> list[int]:
        ids = list(dict.fromkeys(values))
        known = set(Paper.objects.filter(pk__in=ids).values_list("pk", flat=True))
        unknown = [pk for pk in ids if pk not in known]
        if unknown:
            raise serializers.ValidationError(
                f"No papers with ids {', '.join(map(str, unknown[:20]))}"
                + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
            )
        return ids


class HarvestSourceSerializer(serializers.ModelSerializer):
    """A scheduled harvest: an arXiv query or an OAI-PMH set, how often, and how far it got."""

    url = LinkField("api:harvestsource-detail")

    class Meta:
        model = HarvestSource
        fields = (
            "id",
            "url",
            "name",
            "kind",
            "query",
            "oai_set",
            "metadata_prefix",
            "max_results",
            "interval",
            "enabled",
            "harvested_until",
            "last_run_at",
        )
        read_only_fields = fields
