"""Admin pieces shared by every app."""

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.core.models import CuratedModel
from apps.core.services import curated_save


class CuratedAdmin(SimpleHistoryAdmin):
    """Admin for a curated model: keeps its history and remembers which fields curators
    edited, so machine writers (seed loader, ingestion) leave those fields alone."""

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> tuple:
        return (*super().get_readonly_fields(request, obj), "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: CuratedModel, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        obj._history_user = request.user  # type: ignore[attr-defined]
        edited = [name for name in form.changed_data if name != "curator_edited_fields"]
        curated_save(instance=obj, changed_fields=edited if change else [])


def short(text: str, length: int = 90) -> str:
    """Text cut to `length` characters with an ellipsis, for list columns."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


admin.site.site_header = "sellm curation"
admin.site.site_title = "sellm curation"
admin.site.index_title = "Knowledge base"
