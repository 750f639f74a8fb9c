"""BibTeX imports in the admin: upload, a preview of exactly what would happen, confirm;
and each import's page with its run, progress, notes and the file."""

import base64
import binascii
import hashlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.ingestion.bibtex.parser import (
    BibtexInputError,
    BibtexTooLargeError,
    read_bibtex_bytes,
    too_large_message,
)
from apps.ingestion.bibtex.services import bibtex_import, bibtex_import_start
from apps.ingestion.models import BibtexImport


class BibtexUploadForm(forms.Form):
    file = forms.FileField(
        label="BibTeX file",
        help_text="A .bib file in UTF-8. You see what would happen before anything is written.",
    )


class BibtexConfirmForm(forms.Form):
    """The previewed file, sent back as it was (base64: browsers rewrite line breaks in text)."""

    sha256 = forms.CharField(widget=forms.HiddenInput)
    filename = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Added here, not declared: a class attribute `data` would shadow the form's own data.
        self.fields["data"] = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["bytes"] = base64.b64decode(cleaned.get("data", ""), validate=True)
        except (binascii.Error, ValueError) as error:
            raise forms.ValidationError("The previewed file did not come back intact.") from error
        if hashlib.sha256(cleaned["bytes"]).hexdigest() != cleaned.get("sha256"):
            raise forms.ValidationError("The previewed file did not come back intact.")
        return cleaned


@admin.register(BibtexImport)
class BibtexImportAdmin(admin.ModelAdmin):
    """Curators upload BibTeX files here: "Add" shows a preview (a dry run of the real import)
    and imports on confirmation; each import's page shows its run, warnings and failures."""

    list_display = (
        "id",
        "filename",
        "entry_count",
        "run_status",
        "created",
        "updated",
        "unchanged",
        "failed",
        "requested_by",
        "created_at",
    )
    list_select_related = ("run", "run__requested_by")
    list_filter = ("run__status",)
    search_fields = ("filename", "=sha256")
    date_hierarchy = "created_at"
    fields = (
        "filename",
        "size",
        "sha256",
        "entry_count",
        "run_link",
        "run_status",
        "progress",
        "run_message",
        "warning_list",
        "note_table",
        "download",
        "created_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[BibtexImport]:
        return super().get_queryset(request).defer("text")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # an import is a record of what happened; curators read it

    def get_urls(self) -> list:
        urls = super().get_urls()
        mine = [
            path(
                "<int:pk>/file/",
                self.admin_site.admin_view(self.file_view),
                name="ingestion_bibteximport_file",
            )
        ]
        return mine + urls

    # Columns and read-only fields.

    @admin.display(description="status", ordering="run__status")
    def run_status(self, obj: BibtexImport) -> str:
        return obj.run.get_status_display()

    @admin.display(description="created", ordering="run__created")
    def created(self, obj: BibtexImport) -> int:
        return obj.run.created

    @admin.display(description="updated", ordering="run__updated")
    def updated(self, obj: BibtexImport) -> int:
        return obj.run.updated

    @admin.display(description="unchanged", ordering="run__unchanged")
    def unchanged(self, obj: BibtexImport) -> int:
        return obj.run.unchanged

    @admin.display(description="failed", ordering="run__failed")
    def failed(self, obj: BibtexImport) -> int:
        return obj.run.failed

    @admin.display(description="requested by")
    def requested_by(self, obj: BibtexImport) -> str:
        return str(obj.run.requested_by or "—")

    @admin.display(description="run")
    def run_link(self, obj: BibtexImport) -> str:
        url = reverse("admin:ingestion_ingestrun_change", args=[obj.run_id])
        return format_html('<a href="{}">{}</a>', url, obj.run)

    @admin.display(description="progress")
    def progress(self, obj: BibtexImport) -> str:
        run = obj.run
        return (
            f"{run.seen} of {run.total or obj.entry_count} entries: created={run.created} "
            f"updated={run.updated} unchanged={run.unchanged} failed={run.failed}"
        )

    @admin.display(description="message")
    def run_message(self, obj: BibtexImport) -> str:
        return obj.run.message or "—"

    @admin.display(description="warnings")
    def warning_list(self, obj: BibtexImport) -> str:
        if not obj.warnings:
            return "—"
        return format_html_join(mark_safe("<br>"), "{}", ((w,) for w in obj.warnings))

    @admin.display(description="entries with a reason (failed ones included)")
    def note_table(self, obj: BibtexImport) -> str:
        if not obj.notes:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    note.get("line"),
                    note.get("key") or "—",
                    note.get("action"),
                    _paper_link(note.get("paper")),
                    note.get("reason"),
                )
                for note in obj.notes
            ),
        )
        head = "<tr><th>line</th><th>key</th><th>outcome</th><th>paper</th><th>reason</th></tr>"
        return format_html("<table>{}{}</table>", mark_safe(head), rows)

    @admin.display(description="file")
    def download(self, obj: BibtexImport) -> str:
        url = reverse("admin:ingestion_bibteximport_file", args=[obj.pk])
        return format_html('<a href="{}">download the file as uploaded</a>', url)

    # Upload → preview → confirm.

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST" and "confirm" in request.POST:
            return self._confirm(request)
        if request.method == "POST":
            form = BibtexUploadForm(request.POST, request.FILES)
            if form.is_valid():
                response = self._preview(request, form)
                if response is not None:
                    return response
        else:
            form = BibtexUploadForm()
        return self._page(
            request,
            "admin/ingestion/bibteximport/upload.html",
            {"form": form, "limit": settings.BIBTEX_MAX_BYTES},
            title="Import a BibTeX file",
        )

    def _preview(self, request: HttpRequest, form: BibtexUploadForm) -> HttpResponse | None:
        upload = form.cleaned_data["file"]
        limit = settings.BIBTEX_MAX_BYTES
        try:
            if upload.size > limit:
                raise BibtexTooLargeError(too_large_message(upload.size, limit))
            data = upload.read()
            text = read_bibtex_bytes(data, max_bytes=limit)
            report = bibtex_import(text=text, actor=request.user, dry_run=True)
        except BibtexInputError as error:
            form.add_error("file", error.message)
            return None
        confirm = BibtexConfirmForm(
            initial={
                "data": base64.b64encode(data).decode("ascii"),
                "sha256": hashlib.sha256(data).hexdigest(),
                "filename": upload.name,
            }
        )
        background = len(report.entries) > settings.BIBTEX_SYNC_MAX_ENTRIES
        noted = [entry for entry in report.entries if entry.reason]
        return self._page(
            request,
            "admin/ingestion/bibteximport/preview.html",
            {
                "report": report,
                "noted": noted,
                # Papers the dry run created (and rolled back) have no page to link to.
                "new_ids": {e.paper_id for e in report.entries if e.action == "created"},
                "confirm": confirm,
                "filename": upload.name,
                "background": background,
            },
            title=f"Preview: {upload.name}",
        )

    def _confirm(self, request: HttpRequest) -> HttpResponse:
        confirm = BibtexConfirmForm(request.POST)
        if not confirm.is_valid():
            errors = " ".join(str(error) for error in confirm.non_field_errors())
            messages.error(request, errors or "Upload it again.")
            return HttpResponseRedirect(reverse("admin:ingestion_bibteximport_add"))
        try:
            bibtex_file, report = bibtex_import_start(
                data=confirm.cleaned_data["bytes"],
                filename=confirm.cleaned_data["filename"],
                actor=request.user,
            )
        except BibtexInputError as error:
            messages.error(request, error.message)
            return HttpResponseRedirect(reverse("admin:ingestion_bibteximport_add"))
        if report is None:
            messages.info(
                request,
                f"Importing {bibtex_file.entry_count} entries in the background; "
                "this page shows the progress (reload it).",
            )
        else:
            level = messages.WARNING if report.counts["failed"] else messages.SUCCESS
            messages.add_message(request, level, f"Imported {bibtex_file}: {report.summary()}")
        return HttpResponseRedirect(
            reverse("admin:ingestion_bibteximport_change", args=[bibtex_file.pk])
        )

    def file_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        bibtex_file = get_object_or_404(BibtexImport, pk=pk)
        response = HttpResponse(bibtex_file.text, content_type="text/x-bibtex; charset=utf-8")
        name = bibtex_file.filename or f"import-{bibtex_file.pk}.bib"
        response["Content-Disposition"] = f'attachment; filename="{name.replace(chr(34), "")}"'
        return response

    def _page(self, request: HttpRequest, template: str, context: dict, title: str) -> HttpResponse:
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                "has_view_permission": self.has_view_permission(request),
                **context,
            },
        )


def _paper_link(paper_id: int | None) -> str:
    if not paper_id:
        return "—"
    url = reverse("admin:papers_paper_change", args=[paper_id])
    return format_html('<a href="{}">#{}</a>', url, paper_id)
