"""Ingestion runs and ingestion requests as the API shows and takes them."""

from rest_framework import serializers

from apps.core.api.fields import LinkField, SelectableFieldsSerializer
from apps.core.api.strict import RefuseUnknownFieldsMixin
from apps.ingestion import limits
from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.identifiers import parse_arxiv_id


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
        if "arxiv_ids" in attrs and "query" in attrs:
            raise serializers.ValidationError("Give either arxiv_ids or query, not both.")
        if "arxiv_ids" not in attrs and "query" not in attrs:
            raise serializers.ValidationError("Give arxiv_ids or a query.")
        return attrs

    def validate_arxiv_ids(self, values: list[str]) -> list[str]:
        ids, bad = [], []
        for value in values:
            parsed = parse_arxiv_id(value)
            if parsed is None:
                bad.append(value)
                continue
            arxiv_id, version = parsed
            spelled = f"{arxiv_id}v{version}" if version else arxiv_id
            if spelled not in ids:
                ids.append(spelled)
        if bad:
            raise serializers.ValidationError(
                f"Not arXiv ids: {', '.join(repr(v) for v in bad[:20])}"
                + (f" and {len(bad) - 20} more" if len(bad) > 20 else "")
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
