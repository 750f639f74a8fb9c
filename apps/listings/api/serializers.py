"""Listings and the PRISMA flow as the API shows them, and what a curator sends to freeze."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.api.fields import LinkField
from apps.core.api.strict import RefuseUnknownFieldsMixin
from apps.listings.models import Listing
from apps.listings.services import MAX_QUERY_LENGTH


class ListingEntrySerializer(serializers.Serializer):
    """One paper of a listing, as frozen."""

    position = serializers.IntegerField(read_only=True)
    paper = serializers.IntegerField(
        source="paper_id", read_only=True, allow_null=True, help_text="Null once deleted."
    )
    paper_ref = serializers.IntegerField(read_only=True, help_text="The paper's id when frozen.")
    arxiv_id = serializers.CharField(read_only=True)
    arxiv_version = serializers.IntegerField(read_only=True, allow_null=True)
    citation_key = serializers.CharField(read_only=True)
    record = serializers.DictField(read_only=True, help_text="The paper as frozen.")


class ListingSerializer(serializers.Serializer):
    """A frozen listing (without its papers)."""

    slug = serializers.SlugField(read_only=True)
    url = LinkField("api:listing-detail", lookup_field="slug")
    html_url = serializers.SerializerMethodField()
    title = serializers.CharField(read_only=True)
    description = serializers.CharField(read_only=True)
    query = serializers.CharField(read_only=True)
    parameters = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), read_only=True
    )
    version = serializers.IntegerField(read_only=True)
    previous = serializers.CharField(
        source="previous.slug",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The slug of the version before this one.",
    )
    frozen_at = serializers.DateTimeField(read_only=True)
    created_by = serializers.CharField(
        source="created_by.get_username", read_only=True, allow_null=True, default=None
    )
    paper_count = serializers.IntegerField(read_only=True)

    @extend_schema_field(serializers.URLField())
    def get_html_url(self, listing: Listing) -> str:
        request = self.context.get("request")
        path = reverse("listings:detail", args=[listing.slug])
        return request.build_absolute_uri(path) if request is not None else path


class ListingDetailSerializer(ListingSerializer):
    """A listing with its papers as frozen, its citation and the PRISMA figures of its freeze."""

    cite_bibtex = serializers.CharField(read_only=True, help_text="BibTeX @misc citing it.")
    prisma = serializers.DictField(read_only=True)
    entries = ListingEntrySerializer(many=True, read_only=True, source="entry_rows")


class ListingFreezeSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    """What a curator sends to freeze a paper list."""

    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    query = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MAX_QUERY_LENGTH,
        help_text="The paper list's query string, as on /api/v1/papers/ or /papers/: filters, "
        "q and ordering (e.g. `phase=testing-evaluation&q=oracle&ordering=-published`).",
    )


class PrismaSourceSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    records = serializers.IntegerField()


class PrismaIdentifiedSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    sources = PrismaSourceSerializer(many=True)


class PrismaRemovedSerializer(serializers.Serializer):
    duplicates = serializers.IntegerField(allow_null=True)
    unreadable = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(allow_null=True)


class PrismaReasonSerializer(serializers.Serializer):
    reason = serializers.CharField()
    papers = serializers.IntegerField()


class PrismaExcludedSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    reasons = PrismaReasonSerializer(many=True)


class PrismaFlowSerializer(serializers.Serializer):
    """The PRISMA 2020-style flow; null figures are not recorded for this scope."""

    scope = serializers.ChoiceField(choices=["base", "phase", "listing"])
    label = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.label
    as_of = serializers.DateTimeField()
    identified = PrismaIdentifiedSerializer()
    removed_before_screening = PrismaRemovedSerializer()
    screened = serializers.IntegerField()
    deleted = serializers.IntegerField(allow_null=True)
    excluded = PrismaExcludedSerializer()
    inbox = serializers.IntegerField()
    included = serializers.IntegerField()
    unaccounted = serializers.IntegerField()
