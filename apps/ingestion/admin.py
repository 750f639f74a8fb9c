"""Harvest sources and the record of every ingestion run."""

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from apps.ingestion.models import HarvestSource, IngestRun


@admin.register(HarvestSource)
class HarvestSourceAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "enabled", "interval", "harvested_until", "last_run_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "query", "oai_set")
    readonly_fields = ("harvested_until", "last_run_at", "created_at", "updated_at")


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    """Runs are written by the ingestion services; curators read them here."""

    list_display = (
        "id",
        "kind",
        "status",
        "source",
        "seen",
        "created",
        "updated",
        "unchanged",
        "failed",
        "requested_by",
        "started_at",
        "finished_at",
    )
    list_filter = ("status", "kind", "source")
    list_select_related = ("source", "requested_by")
    search_fields = ("message", "=id")
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in IngestRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IngestRun | None = None) -> bool:
        return False
