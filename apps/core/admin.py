"""Admin pieces shared by every app.

The admin is a delivery layer: every save, inline row, delete and action of a curated model
goes through the service that owns that write. `CuratedAdmin` routes the generic ones to
`curated_save` / `curated_delete`; admins of models with their own services override the
`save_*` and `delete_*` hooks. A service's refusal (`ApplicationError`) comes back to the
curator as a message on the page they were on, with nothing written.
"""

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.forms.models import model_to_dict
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from simple_history.admin import SimpleHistoryAdmin

from apps.core.actors import Actor
from apps.core.exceptions import ApplicationError
from apps.core.history import history_user_set
from apps.core.models import CuratedModel
from apps.core.services import curated_delete, curated_save


def actor(request: HttpRequest) -> Actor:
    """The signed-in curator, as services take it (the admin lets no one else in)."""
    return request.user


class CuratedAdmin(SimpleHistoryAdmin):
    """Admin for a curated model: keeps its history and remembers which fields curators
    edited, so machine writers (seed loader, ingestion) leave those fields alone."""

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> Any:
        return (*super().get_readonly_fields(request, obj), "created_at", "updated_at")

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ApplicationError, ValidationError) as error:  # rolled back by the admin's atomic
            message = (
                error.message if isinstance(error, ApplicationError) else "; ".join(error.messages)
            )
            self.message_user(request, f"Not saved: {message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            return super().delete_view(request, object_id, extra_context)
        except ApplicationError as error:
            self.message_user(request, f"Not deleted: {error.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm, change: bool) -> None:
        history_user_set(obj, actor(request))
        stored = type(obj)._default_manager.get(pk=obj.pk) if change else None
        edited = changed_fields(form, stored) if stored is not None else []
        edited = [name for name in edited if name != "curator_edited_fields"]
        curated_save(instance=obj, changed_fields=edited)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        curated_delete(instance=obj, actor=actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The "delete selected" action: each row through `delete_model` (so its service);
        a row the service refuses is reported and the others still go."""
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except ApplicationError as error:
                self.message_user(request, f"{obj} not deleted: {error.message}", messages.ERROR)

    def save_formset(
        self, request: HttpRequest, form: ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        """Inline rows of curated models through `curated_save` / `curated_delete`. Fills the
        formset's new/changed/deleted lists, which the admin's change message reads."""
        if formset.model is None or not issubclass(formset.model, CuratedModel):
            raise TypeError(
                f"{type(self).__name__} must save {formset.model} rows through a service"
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline in formset.initial_forms + formset.extra_forms:
            if inline in formset.deleted_forms or not inline.has_changed():
                continue
            row = inline.save(commit=False)
            setattr(row, formset.fk.name, formset.instance)  # the parent may be new
            history_user_set(row, actor(request))
            is_new = row.pk is None
            curated_save(instance=row, changed_fields=[] if is_new else inline.changed_data)
            if is_new:
                formset.new_objects.append(row)
            else:
                formset.changed_objects.append((row, inline.changed_data))
        for inline in formset.deleted_forms:
            if inline.instance.pk is not None:
                formset.deleted_objects.append(inline.instance)
                curated_delete(instance=inline.instance, actor=actor(request))


def changed_fields(form: ModelForm, stored: Model) -> list[str]:
    """The form's fields whose submitted value differs from the stored row.

    The same as `form.changed_data` on a change page; on the history page's "Revert" the form
    starts from an old version, so only a comparison with the stored row finds what changes.
    """
    initial = model_to_dict(stored, fields=list(form.fields))
    return [
        name
        for name, field in form.fields.items()
        if not field.disabled and field.has_changed(initial.get(name), form[name].data)
    ]


def skip_save_m2m(form: ModelForm) -> None:
    """After a service wrote the form's many-to-many fields: the admin (and the history
    page's revert) call `form.save_m2m()` next, which would write them again directly."""
    setattr(form, "save_m2m", lambda: None)  # noqa: B010 - replaces a bound method


def short(text: str, length: int = 90) -> str:
    """Text cut to `length` characters with an ellipsis, for list columns."""
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


admin.site.site_header = "sellm curation"
admin.site.site_title = "sellm curation"
admin.site.index_title = "Knowledge base"
