"""REST endpoint for curators to import BibTeX files: /api/v1/bibtex-imports/.

POST a file (multipart `file`, or `text` in JSON/form data), with `dry_run` to see exactly
what would happen without writing anything. Small files import during the request (201,
with the per-entry report); larger ones import in the background (202; poll the import).
"""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import APIException
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api.exceptions import ErrorSerializer
from apps.core.api.permissions import IsCurator
from apps.core.api.strict import RefuseUnknownFieldsMixin
from apps.ingestion.bibtex.parser import (
    BibtexInputError,
    BibtexTooLargeError,
    read_bibtex_bytes,
    too_large_message,
)
from apps.ingestion.bibtex.services import bibtex_import, bibtex_import_start
from apps.ingestion.models import BibtexImport


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The file is too large."
    default_code = "too_large"


class BadBibtex(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The file is not BibTeX."
    default_code = "invalid_bibtex"


class BibtexImportRequestSerializer(RefuseUnknownFieldsMixin, serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The .bib file (UTF-8).")
    text = serializers.CharField(
        required=False, trim_whitespace=False, help_text="The BibTeX text, instead of a file."
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="Report what would happen; write nothing."
    )

    def validate(self, attrs: dict) -> dict:
        if "file" in attrs and "text" in attrs:
            raise serializers.ValidationError("Send either a file or a text, not both.")
        if "file" not in attrs and "text" not in attrs:
            raise serializers.ValidationError("Send a BibTeX file (`file`) or text (`text`).")
        return attrs


class BibtexImportSerializer(serializers.ModelSerializer):
    """An import with where its run stands."""

    run = serializers.IntegerField(source="run_id", read_only=True)
    status = serializers.CharField(source="run.status", read_only=True)
    total = serializers.IntegerField(source="run.total", read_only=True, allow_null=True)
    counts = serializers.SerializerMethodField()
    failures = serializers.JSONField(
        source="run.errors", read_only=True, help_text="Failed entries: record and reason."
    )
    message = serializers.CharField(source="run.message", read_only=True)
    requested_by = serializers.CharField(
        source="run.requested_by.username", read_only=True, default=None
    )
    started_at = serializers.DateTimeField(source="run.started_at", read_only=True)
    finished_at = serializers.DateTimeField(source="run.finished_at", read_only=True)

    class Meta:
        model = BibtexImport
        fields = (
            "id",
            "filename",
            "size",
            "sha256",
            "entry_count",
            "run",
            "status",
            "total",
            "counts",
            "warnings",
            "notes",
            "failures",
            "message",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields

    def get_counts(self, obj: BibtexImport) -> dict[str, int]:
        run = obj.run
        return {
            "seen": run.seen,
            "created": run.created,
            "updated": run.updated,
            "unchanged": run.unchanged,
            "failed": run.failed,
        }


REPORT = inline_serializer(
    "BibtexImportReport",
    fields={
        "dry_run": serializers.BooleanField(),
        "summary": serializers.CharField(),
        "counts": serializers.DictField(child=serializers.IntegerField()),
        "warnings": serializers.ListField(child=serializers.CharField()),
        "blocks": serializers.DictField(child=serializers.IntegerField()),
        "entries": serializers.ListField(child=serializers.DictField()),
    },
)


class BibtexImportViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """BibTeX imports: POST a file to import it (curators); GET to follow one."""

    queryset = BibtexImport.objects.select_related("run", "run__requested_by").defer("text")
    serializer_class = BibtexImportSerializer
    permission_classes = (IsCurator,)
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    @extend_schema(
        request={
            "multipart/form-data": BibtexImportRequestSerializer,
            "application/json": BibtexImportRequestSerializer,
        },
        responses={
            200: OpenApiResponse(REPORT, description="Dry run: what would happen."),
            201: OpenApiResponse(
                BibtexImportSerializer, description="Imported now; `report` lists every entry."
            ),
            202: OpenApiResponse(
                BibtexImportSerializer, description="Importing in the background: poll it."
            ),
            400: OpenApiResponse(ErrorSerializer, description="Not a BibTeX file (or no file)."),
            413: OpenApiResponse(ErrorSerializer, description="Over BIBTEX_MAX_BYTES."),
        },
    )
    def create(self, request: Request) -> Response:
        """Import a BibTeX file into the inbox (or, with dry_run, report what would happen)."""
        limit = settings.BIBTEX_MAX_BYTES
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > 2 * limit:  # refuse before reading the body at all
            raise PayloadTooLarge(too_large_message(declared, limit))
        payload = BibtexImportRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data.get("file")
        if upload is not None:
            if upload.size > limit:
                raise PayloadTooLarge(too_large_message(upload.size, limit))
            data, filename = upload.read(), upload.name or ""
        else:
            data, filename = payload.validated_data["text"].encode("utf-8"), ""
        try:
            if payload.validated_data["dry_run"]:
                text = read_bibtex_bytes(data, max_bytes=limit)
                preview = bibtex_import(text=text, actor=request.user, dry_run=True)
                return Response(preview.as_dict(), status=status.HTTP_200_OK)
            bibtex_file, report = bibtex_import_start(
                data=data, filename=filename, actor=request.user
            )
        except BibtexTooLargeError as error:
            raise PayloadTooLarge(error.message) from error
        except BibtexInputError as error:
            raise BadBibtex(error.message) from error
        body = dict(BibtexImportSerializer(bibtex_file).data)
        if report is None:
            location = request.build_absolute_uri(f"{bibtex_file.pk}/")
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": location})
        body["report"] = report.as_dict()
        return Response(body, status=status.HTTP_201_CREATED)
