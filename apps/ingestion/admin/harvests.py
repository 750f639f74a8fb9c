"""Harvest sources and the record of every ingestion run, with the curators' controls: run a
source now, add papers by arXiv id, resume a failed run, and the ingestion health page.
Every write goes through apps.ingestion.services."""

import json
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST
from simple_history.admin import SimpleHistoryAdmin

from apps.core.exceptions import ApplicationError
from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.services import arxiv_ids_ingest, harvest_source_run, ingest_run_resume

RECENT_RUNS = 25
FAILURE_WINDOW = timedelta(days=7)


@admin.register(HarvestSource)
class HarvestSourceAdmin(SimpleHistoryAdmin):
    list_display = ("name", "kind", "enabled", "interval", "harvested_until", "last_run_at")
    list_filter = ("kind", "enabled")
    search_fields = ("name", "query", "oai_set")
    readonly_fields = ("harvested_until", "last_run_at", "created_at", "updated_at")
    actions = ["run_now"]

    @admin.action(description="Run the selected sources now", permissions=["change"])
    def run_now(self, request: HttpRequest, queryset: QuerySet[HarvestSource]) -> None:
        started, busy = 0, []
        for source in queryset:
            if harvest_source_run(source=source, requested_by=request.user) is None:
                busy.append(source.name)
            else:
                started += 1
        if started:
            self.message_user(request, f"Started {started} harvest(s).", messages.SUCCESS)
        if busy:
            self.message_user(
                request,
                f"Already harvesting, not started again: {', '.join(busy)}.",
                messages.WARNING,
            )


class ArxivIdsForm(forms.Form):
    """The "add papers by arXiv id" form."""

    ids = forms.CharField(
        label="arXiv ids",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="One or more ids, separated by spaces, commas or new lines: 2401.01234, "
        "2401.01234v2, cs/0503050, or abs URLs.",
    )

    def split(self) -> list[str]:
        return [part for part in self.cleaned_data["ids"].replace(",", " ").split() if part]


@admin.register(IngestRun)
class IngestRunAdmin(admin.ModelAdmin):
    """Runs are written by the ingestion services; curators read them here, start id look-ups,
    resume failed runs and watch the health page."""

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
    actions = ["resume_runs"]
    change_form_template = "admin/ingestion/ingestrun/change_form.html"
    change_list_template = "admin/ingestion/ingestrun/change_list.html"
    fieldsets = (
        (None, {"fields": ("kind", "status", "message", "source", "requested_by")}),
        ("Progress", {"fields": ("progress", "seen", "created", "updated", "unchanged", "failed")}),
        ("Where it stands", {"fields": ("parameters_display", "cursor_display")}),
        ("Errors", {"fields": ("errors_display",)}),
        ("Times", {"fields": ("created_at", "started_at", "finished_at", "updated_at")}),
    )
    readonly_fields = (
        *(field.name for field in IngestRun._meta.fields),
        "progress",
        "parameters_display",
        "cursor_display",
        "errors_display",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: IngestRun | None = None) -> bool:
        return False

    @admin.display(description="progress")
    def progress(self, run: IngestRun) -> str:
        if run.total:
            return f"{run.seen} of {run.total} records ({100 * run.seen // run.total}%)"
        return f"{run.seen} records"

    @admin.display(description="parameters")
    def parameters_display(self, run: IngestRun) -> str:
        return format_html("<pre>{}</pre>", json.dumps(run.parameters, indent=2))

    @admin.display(description="cursor")
    def cursor_display(self, run: IngestRun) -> str:
        return format_html("<pre>{}</pre>", json.dumps(run.cursor, indent=2))

    @admin.display(description="per-record errors")
    def errors_display(self, run: IngestRun) -> str:
        if not run.errors:
            return "none"
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td></tr>", ((e["record"], e["reason"]) for e in run.errors)
        )
        more = run.failed - len(run.errors)
        tail = format_html("<p>… and {} more (not kept).</p>", more) if more > 0 else ""
        return format_html(
            "<table><thead><tr><th>record</th><th>why</th></tr></thead><tbody>{}</tbody></table>{}",
            rows,
            tail,
        )

    @admin.action(description="Resume the selected failed or stalled runs")
    def resume_runs(self, request: HttpRequest, queryset: QuerySet[IngestRun]) -> None:
        self._require(request, "change")
        resumed = 0
        for run in queryset:
            if run.is_resumable:
                ingest_run_resume(run=run)
                resumed += 1
        self.message_user(request, f"Resumed {resumed} failed or stalled run(s).", messages.SUCCESS)

    # --- extra pages ---------------------------------------------------------------------

    def get_urls(self) -> list:
        extra = [
            path(
                "add-arxiv-ids/",
                self.admin_site.admin_view(self.add_arxiv_ids_view),
                name="ingestion_ingestrun_add_arxiv_ids",
            ),
            path(
                "health/",
                self.admin_site.admin_view(self.health_view),
                name="ingestion_ingestrun_health",
            ),
            path(
                "<int:run_id>/resume/",
                self.admin_site.admin_view(require_POST(self.resume_view)),
                name="ingestion_ingestrun_resume",
            ),
        ]
        return extra + super().get_urls()

    def _require(self, request: HttpRequest, action: str) -> None:
        if not request.user.has_perm(f"ingestion.{action}_ingestrun"):
            raise PermissionDenied

    def add_arxiv_ids_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, "add")
        form = ArxivIdsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run = arxiv_ids_ingest(ids=form.split(), requested_by=request.user)
            except ApplicationError as error:
                form.add_error("ids", error.message)
            else:
                self.message_user(
                    request, f"Started run #{run.pk} for {run.total} id(s).", messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:ingestion_ingestrun_change", args=[run.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Add papers by arXiv id",
            "form": form,
        }
        return TemplateResponse(request, "admin/ingestion/ingestrun/add_arxiv_ids.html", context)

    def resume_view(self, request: HttpRequest, run_id: int) -> HttpResponse:
        self._require(request, "change")
        run = get_object_or_404(IngestRun, pk=run_id)
        if not run.is_resumable:
            self.message_user(
                request, "Only a failed or stalled run can be resumed.", messages.ERROR
            )
        else:
            ingest_run_resume(run=run)
            self.message_user(request, f"Run #{run.pk} resumes from its cursor.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:ingestion_ingestrun_change", args=[run.pk]))

    def health_view(self, request: HttpRequest) -> HttpResponse:
        self._require(request, "view")
        now = timezone.now()
        since = now - FAILURE_WINDOW
        last_success = (
            IngestRun.objects.filter(source=OuterRef("pk"), status=IngestRun.Status.SUCCEEDED)
            .order_by()
            .values("source")
            .annotate(last=Max("finished_at"))
            .values("last")
        )
        sources = []
        for source in HarvestSource.objects.annotate(last_success=Subquery(last_success)).order_by(
            "name"
        ):
            lag = now - source.last_success if source.last_success else None
            overdue = source.enabled and (lag is None or lag > source.interval * 2)
            sources.append({"source": source, "lag": lag, "overdue": overdue})
        counts = IngestRun.objects.aggregate(
            active=Count("pk", filter=Q(status__in=["pending", "running"])),
            failed_recently=Count("pk", filter=Q(status="failed", created_at__gte=since)),
            succeeded_recently=Count("pk", filter=Q(status="succeeded", created_at__gte=since)),
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Ingestion health",
            "sources": sources,
            "counts": counts,
            "recent_runs": IngestRun.objects.select_related("source", "requested_by")[:RECENT_RUNS],
            "recent_failures": IngestRun.objects.select_related("source").filter(
                status=IngestRun.Status.FAILED, created_at__gte=since
            )[:10],
            "window_days": FAILURE_WINDOW.days,
        }
        return TemplateResponse(request, "admin/ingestion/health.html", context)
