"""Curators triage and edit papers here: include or exclude, place into the taxonomy, review
suggested placements, correct authors. Every write goes through apps.papers.services: a paper
added here is matched like any import (`paper_create`: no duplicate, a citation key), an edit
with its author and category lists is one `paper_edit`, placements go through the placement
services, authors through the author services."""

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet, URLField
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import CuratedAdmin, actor, changed_fields, short, skip_save_m2m
from apps.core.exceptions import ApplicationError
from apps.core.query import subquery_count
from apps.papers.identifiers import normalize_doi, parse_arxiv_id
from apps.papers.models import (
    Author,
    Authorship,
    Category,
    Paper,
    PaperQuerySet,
    Placement,
    Synonym,
)
from apps.papers.relations import attach_relations, placement_target
from apps.papers.search import QuerySyntaxError, parse_search, search_papers
from apps.papers.services import (
    author_conflict,
    author_create,
    author_delete,
    author_edit,
    author_merge,
    category_delete,
    category_save,
    paper_create,
    paper_delete,
    paper_edit,
    paper_exclude,
    paper_include,
    placement_delete,
    placement_edit,
    placement_place,
    placement_review,
    synonym_delete,
    synonym_save,
)
from apps.papers.services.upsert import author_key, title_key
from apps.taxonomy.models import Challenge, Phase, ResearchDirection

# --- Filters ----------------------------------------------------------------------------


class PlacedInFilter(admin.SimpleListFilter):
    """Papers with an accepted placement on a taxonomy item (a phase also matches papers placed
    in its challenges and directions)."""

    model: type[Phase | Challenge | ResearchDirection] = Phase
    lookup: str = "phase"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [(str(item.pk), str(item)) for item in self.model._default_manager.all()]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        return cast(PaperQuerySet, queryset).placed_in(**{f"{self.lookup}_id": self.value()})


class PhaseFilter(PlacedInFilter):
    title = "phase"
    parameter_name = "phase"


class ChallengeFilter(PlacedInFilter):
    title = "challenge"
    parameter_name = "challenge"
    model = Challenge
    lookup = "challenge"


class DirectionFilter(PlacedInFilter):
    title = "research direction"
    parameter_name = "direction"
    model = ResearchDirection
    lookup = "direction"


class HasDoiFilter(admin.SimpleListFilter):
    title = "DOI"
    parameter_name = "has_doi"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("yes", "has a DOI"), ("no", "no DOI")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(doi__isnull=self.value() == "no")
        return queryset


class PendingSuggestionsFilter(admin.SimpleListFilter):
    title = "suggestions"
    parameter_name = "suggestions"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("pending", "waiting for review")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "pending":
            return queryset.filter(Exists(Placement.objects.pending().filter(paper=OuterRef("pk"))))
        return queryset


# --- Action forms -----------------------------------------------------------------------


class ExcludeForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Shown to curators in the paper's history and list.",
    )


class InPhaseChoiceField(forms.ModelChoiceField):
    """A challenge or direction named with its phase: several phases have look-alike items."""

    def label_from_instance(self, obj: Challenge | ResearchDirection) -> str:  # type: ignore[override]
        return f"{obj.phase.name}: {obj.name}"


class PlaceForm(forms.Form):
    """Pick exactly one of a phase, a challenge or a direction."""

    phase = forms.ModelChoiceField(
        Phase.objects.order_by("order"),
        required=False,
        help_text="Pick one target only: a phase, or a challenge, or a direction.",
    )
    challenge = InPhaseChoiceField(
        Challenge.objects.select_related("phase").order_by("phase__order", "position", "name"),
        required=False,
        help_text="Or a challenge (its phase follows).",
    )
    direction = InPhaseChoiceField(
        ResearchDirection.objects.select_related("phase").order_by(
            "phase__order", "position", "name"
        ),
        required=False,
        help_text="Or a research direction (its phase follows).",
    )
    evidence = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="Optional: why these papers belong there.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        targets = [data.get(name) for name in ("phase", "challenge", "direction")]
        chosen = [target for target in targets if target is not None]
        if len(chosen) != 1:
            raise ValidationError(
                "Pick exactly one target: a phase, or a challenge, or a direction — not several."
            )
        data["target"] = chosen[0]
        return data


def action_form_view(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    form_class: type[forms.Form],
    title: str,
) -> tuple[forms.Form | None, HttpResponse | None]:
    """Run an admin action that needs input: (valid form, None) once submitted, otherwise
    (None, the page that asks for it)."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            return form, None
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "objects": queryset,
        "action": request.POST.get("action"),
        "action_checkbox_name": ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
        "media": modeladmin.media + form.media,
    }
    return None, TemplateResponse(request, "admin/action_form.html", context)


# --- Inlines ----------------------------------------------------------------------------


def fill_change_lists(formset: Any) -> None:
    """The new/changed/deleted lists the admin's change message reads, for a formset whose
    rows a service wrote (so `formset.save()` never ran)."""
    formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
    for form in formset.initial_forms + formset.extra_forms:
        if form in formset.deleted_forms:
            if form.instance.pk is not None:
                formset.deleted_objects.append(form.instance)
        elif form.has_changed():
            if form.instance.pk is None:
                formset.new_objects.append(form.instance)
            else:
                formset.changed_objects.append((form.instance, form.changed_data))


class AuthorshipInline(admin.TabularInline):
    model = Authorship
    fields = ("position", "author", "affiliation")
    autocomplete_fields = ("author",)
    ordering = ("position",)
    extra = 0


class PlacementForm(forms.ModelForm):
    """A curator's placement: the phase follows from a chosen challenge or direction."""

    class Meta:
        model = Placement
        fields: tuple[str, ...] = ("phase", "challenge", "direction", "evidence", "review_state")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        challenge, direction = data.get("challenge"), data.get("direction")
        if challenge and direction:
            raise ValidationError("A placement names a challenge or a direction, not both.")
        target = direction or challenge
        if target is not None:
            data["phase"] = target.phase
            self.instance.phase = target.phase
        elif not data.get("phase"):
            raise ValidationError("Choose a phase, a challenge or a direction.")
        return data


class PlacementInline(admin.TabularInline):
    model = Placement
    form = PlacementForm
    fk_name = "paper"
    fields = (
        "phase",
        "challenge",
        "direction",
        "origin",
        "confidence",
        "evidence",
        "review_state",
        "reviewed_by",
    )
    readonly_fields = ("origin", "confidence", "reviewed_by")
    autocomplete_fields = ("phase", "challenge", "direction")
    extra = 0

    def get_queryset(self, request: HttpRequest) -> QuerySet[Placement]:
        return (
            super()
            .get_queryset(request)
            .select_related("phase", "challenge", "direction", "reviewed_by")
        )


# --- Paper ------------------------------------------------------------------------------


class PaperAdminForm(forms.ModelForm):
    """Checks what `paper_create` / `paper_edit` would refuse, so the curator sees it on the
    form: identifiers in any spelling (kept normalised), a title with letters, a reason to
    exclude."""

    class Meta:
        model = Paper
        fields = ("title", "arxiv_id", "doi", "status", "status_reason")  # + the fieldsets

    def clean_arxiv_id(self) -> str | None:
        value = (self.cleaned_data.get("arxiv_id") or "").strip()
        if not value:
            return None
        parsed = parse_arxiv_id(value)
        if parsed is None or len(parsed[0]) > 32:
            raise ValidationError(f"{value!r} is not an arXiv id.")
        return parsed[0]

    def clean_doi(self) -> str | None:
        value = (self.cleaned_data.get("doi") or "").strip()
        if not value:
            return None
        doi = normalize_doi(value)
        if doi is None or len(doi) > 255:
            raise ValidationError(f"{value!r} is not a DOI.")
        return doi

    def clean_title(self) -> str:
        title = self.cleaned_data.get("title", "")
        if not title_key(title):
            raise ValidationError("A title needs letters or digits.")
        return title

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == Paper.Status.EXCLUDED
            and not data.get("status_reason", "").strip()
        ):
            self.add_error("status_reason", "Say why the paper is excluded.")
        return data


@admin.register(Paper)
class PaperAdmin(CuratedAdmin):
    form = PaperAdminForm
    list_display = (
        "short_title",
        "authors",
        "year",
        "status",
        "source",
        "arxiv_link",
        "placed_in",
        "pending_count",
    )
    list_filter = (
        "status",
        "source",
        PhaseFilter,
        ChallengeFilter,
        DirectionFilter,
        PendingSuggestionsFilter,
        HasDoiFilter,
        "record_incomplete",
        "kind",
        "year",
    )
    # The search box speaks the site's query language (get_search_results); search_fields
    # only makes Django show the box.
    search_fields = ("title",)
    search_help_text = (
        'Words, "a phrase", -excluded, a OR b, title: author: venue: year:2021..2024; '
        "or an arXiv id, DOI or BibTeX key"
    )
    date_hierarchy = "published_at"
    list_per_page = 50
    inlines = (AuthorshipInline, PlacementInline)
    actions = (
        "include_papers",
        "exclude_papers",
        "place_papers",
        "accept_suggestions",
        "reject_suggestions",
    )
    readonly_fields = (
        "author_names",
        "arxiv_versions",
        "included_at",
        "source",
        # OpenAlex's facts, as the last enrichment read them (docs/enrichment.md)
        "cited_by_count",
        "cited_by_as_of",
        "references_outside",
        "enriched_at",
    )
    fieldsets = (
        (None, {"fields": ("title", "author_names", "abstract", "year")}),
        (
            "Curation",
            {
                "fields": (
                    "status",
                    "status_reason",
                    "included_at",
                    "source",
                    "curator_note",
                    "record_incomplete",
                )
            },
        ),
        (
            "arXiv",
            {
                "fields": (
                    "arxiv_id",
                    "arxiv_version",
                    "arxiv_versions",
                    "published_at",
                    "revised_at",
                    "primary_category",
                    "categories",
                    "comment",
                    "license",
                )
            },
        ),
        ("Publication", {"fields": ("doi", "journal_ref", "venue", "kind", "code_url")}),
        (
            "BibTeX",
            {"fields": ("bibtex_key", "bibtex_type", "bibtex_fields"), "classes": ("collapse",)},
        ),
        (
            "OpenAlex",
            {
                "fields": (
                    "openalex_id",
                    "oa_url",
                    "cited_by_count",
                    "cited_by_as_of",
                    "references_outside",
                    "enriched_at",
                ),
                "classes": ("collapse",),
            },
        ),
        (
            "Record",
            {
                "fields": ("curator_edited_fields", "created_at", "updated_at"),
                "classes": ("collapse",),
            },
        ),
    )
    filter_horizontal = ("categories",)
    formfield_overrides = {URLField: {"assume_scheme": "https"}}  # Django 6's default

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Paper], search_term: str
    ) -> tuple[QuerySet[Paper], bool]:
        """The site's full-text search (synonyms included), plus exact identifiers; a query
        that cannot be parsed shows its message and finds only identifier matches."""
        term = search_term.strip()
        if not term:
            return queryset, False
        arxiv = parse_arxiv_id(term)
        doi = normalize_doi(term)
        identifiers = Q(bibtex_key=term)
        if arxiv:
            identifiers |= Q(arxiv_id=arxiv[0])
        if doi:
            identifiers |= Q(doi=doi)
        try:
            query = parse_search(term)
        except QuerySyntaxError as error:
            self.message_user(request, f"Search: {error}", messages.ERROR)
            return queryset.filter(identifiers), False
        matches = search_papers(Paper.objects.all(), query).values("pk")
        return queryset.filter(Q(pk__in=matches) | identifiers), False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Paper]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_count=subquery_count(
                    Placement, "paper", review_state=Placement.ReviewState.PENDING
                )
            )
        )

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        """The list's page of papers with their authors and accepted placements (the
        columns below), one query each."""
        changelist = super().get_changelist_instance(request)
        changelist.result_list = attach_relations(changelist.result_list)
        return changelist

    @admin.display(description="title", ordering="title")
    def short_title(self, obj: Paper) -> str:
        return short(obj.title)

    @admin.display(description="authors")
    def authors(self, obj: Paper) -> str:
        names = [author["name"] for author in obj.author_rows]
        return names[0] + (" et al." if len(names) > 1 else "") if names else "—"

    @admin.display(description="arXiv", ordering="arxiv_id")
    def arxiv_link(self, obj: Paper) -> str:
        if not obj.arxiv_id:
            return "—"
        return format_html('<a href="{}" rel="noopener">{}</a>', obj.arxiv_url, obj.arxiv_id)

    @admin.display(description="placed in")
    def placed_in(self, obj: Paper) -> str:
        return ", ".join(placement_target(p)["name"] for p in obj.placement_rows) or "—"

    @admin.display(description="pending", ordering="pending_count")
    def pending_count(self, obj: Paper) -> int:
        return obj.pending_count  # type: ignore[attr-defined]

    # Writes. A change of the paper's own fields and categories is one `paper_edit` in
    # save_model (the history page's "Revert" calls only that hook); its author list and
    # placements follow in save_related. An addition is one `paper_create` in save_related,
    # because matching a new paper against the knowledge base needs its authors (title + year
    # + first author).

    def save_model(
        self, request: HttpRequest, obj: Paper, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            stored = Paper.objects.get(pk=obj.pk)
            data = self._paper_data(form, changed_fields(form, stored))
            paper_edit(paper=stored, data=data, actor=actor(request))
            skip_save_m2m(form)  # the categories went through paper_edit

    def save_related(
        self, request: HttpRequest, form: forms.ModelForm, formsets: list[Any], change: bool
    ) -> None:
        data = {} if change else self._paper_data(form, None)
        for formset in formsets:
            if formset.model is Authorship and (formset.has_changed() or not change):
                names, affiliations = self._author_list(formset)
                if names or change:
                    data["authors"], data["affiliations"] = names, affiliations
            fill_change_lists(formset)
        if change:
            paper = Paper.objects.get(pk=form.instance.pk)
            if data:
                paper = paper_edit(paper=paper, data=data, actor=actor(request))
        else:
            paper, created = paper_create(data=data, actor=actor(request))
            if not created:
                self.message_user(
                    request,
                    f"This paper was already in the knowledge base (#{paper.pk}): nothing was "
                    "duplicated; it gained only the fields it lacked.",
                    messages.WARNING,
                )
            form.instance.pk = paper.pk
            form.instance.refresh_from_db()
        for formset in formsets:
            if formset.model is Placement:
                self._save_placements(request, paper, formset)

    @staticmethod
    def _paper_data(form: forms.ModelForm, changed: list[str] | None) -> dict[str, Any]:
        """The form's fields as `paper_edit` (the `changed` ones) or `paper_create` (`None`:
        the given ones; an empty field stays open to ingestion) take them."""
        change = changed is not None
        names = changed if changed is not None else list(form.cleaned_data)
        data: dict[str, Any] = {}
        for name in names:
            value = form.cleaned_data.get(name)
            if name == "categories":
                value = [category.code for category in value or ()]
            if change or value not in (None, "", [], {}) or name == "status":
                data[name] = value
        if "status" in data or "status_reason" in data:
            data["status"] = form.cleaned_data.get("status")
            data["status_reason"] = form.cleaned_data.get("status_reason", "")
        return data

    @staticmethod
    def _author_list(formset: Any) -> tuple[list[str], list[str]]:
        """Names and affiliations of the authorship rows kept, in their positions' order."""
        rows = sorted(
            (
                form.cleaned_data["position"],
                form.cleaned_data["author"].name,
                form.cleaned_data.get("affiliation", ""),
            )
            for form in formset.forms
            if form.cleaned_data
            and form.cleaned_data.get("author")
            and form not in formset.deleted_forms
        )
        return [name for _, name, _ in rows], [affiliation for _, _, affiliation in rows]

    def _save_placements(self, request: HttpRequest, paper: Paper, formset: Any) -> None:
        """Curator edits of placements, through the placement services."""
        for form in formset.initial_forms + formset.extra_forms:
            if form in formset.deleted_forms or not form.has_changed():
                continue
            data = form.cleaned_data
            target = data.get("direction") or data.get("challenge") or data["phase"]
            if form.instance.pk is None:
                placement, _ = placement_place(
                    paper=paper, target=target, actor=actor(request), evidence=data["evidence"]
                )
                if data["review_state"] == Placement.ReviewState.REJECTED:
                    placement_review(placements=[placement], accept=False, actor=actor(request))
            else:
                placement_edit(
                    placement=Placement.objects.get(pk=form.instance.pk),
                    data={**data, "target": target},
                    actor=actor(request),
                )
        for form in formset.deleted_forms:
            if form.instance.pk is not None:
                placement_delete(placement=form.instance, actor=actor(request))

    def delete_model(self, request: HttpRequest, obj: Paper) -> None:
        paper_delete(paper=obj, actor=actor(request))

    @admin.action(description="Include selected papers", permissions=["change"])
    def include_papers(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        changed = paper_include(papers=queryset, actor=actor(request))
        self.message_user(request, f"Included {changed} paper(s).", messages.SUCCESS)

    @admin.action(description="Exclude selected papers…", permissions=["change"])
    def exclude_papers(
        self, request: HttpRequest, queryset: QuerySet[Paper]
    ) -> HttpResponse | None:
        form, page = action_form_view(self, request, queryset, ExcludeForm, "Exclude papers")
        if form is None:
            return page
        try:
            changed = paper_exclude(
                papers=queryset, reason=form.cleaned_data["reason"], actor=actor(request)
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        self.message_user(request, f"Excluded {changed} paper(s).", messages.SUCCESS)
        return None

    @admin.action(description="Place selected papers into…", permissions=["change"])
    def place_papers(self, request: HttpRequest, queryset: QuerySet[Paper]) -> HttpResponse | None:
        form, page = action_form_view(
            self, request, queryset, PlaceForm, "Place papers into the taxonomy"
        )
        if form is None:
            return page
        target = form.cleaned_data["target"]
        changed = sum(
            placement_place(
                paper=paper,
                target=target,
                actor=actor(request),
                evidence=form.cleaned_data["evidence"],
            )[1]
            for paper in queryset
        )
        self.message_user(request, f"Placed {changed} paper(s) into {target}.", messages.SUCCESS)
        return None

    @admin.action(
        description="Accept pending suggestions of selected papers", permissions=["change"]
    )
    def accept_suggestions(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        pending = Placement.objects.pending().filter(paper__in=queryset)
        changed = placement_review(placements=pending, accept=True, actor=actor(request))
        self.message_user(request, f"Accepted {changed} placement(s).", messages.SUCCESS)

    @admin.action(
        description="Reject pending suggestions of selected papers", permissions=["change"]
    )
    def reject_suggestions(self, request: HttpRequest, queryset: QuerySet[Paper]) -> None:
        pending = Placement.objects.pending().filter(paper__in=queryset)
        changed = placement_review(placements=pending, accept=False, actor=actor(request))
        self.message_user(request, f"Rejected {changed} placement(s).", messages.SUCCESS)


# --- Placements: the triage queue -------------------------------------------------------


class PlacementAdminForm(PlacementForm):
    class Meta(PlacementForm.Meta):
        fields = ("paper", *PlacementForm.Meta.fields)


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin):
    list_display = (
        "paper_title",
        "target_display",
        "origin",
        "confidence",
        "review_state",
        "short_evidence",
        "created_at",
    )
    list_filter = ("review_state", "origin", "phase", "challenge", "direction")
    list_select_related = ("paper", "phase", "challenge", "direction")
    search_fields = ("paper__title", "=paper__arxiv_id", "evidence")
    autocomplete_fields = ("paper", "phase", "challenge", "direction")
    readonly_fields = ("origin", "confidence", "reviewed_by", "reviewed_at")
    actions = ("accept", "reject")
    list_per_page = 100

    def get_form(
        self,
        request: HttpRequest,
        obj: Placement | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> Any:
        return super().get_form(request, obj, change, form=PlacementAdminForm, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: Placement, form: forms.ModelForm, change: bool
    ) -> None:
        data = form.cleaned_data
        target = data.get("direction") or data.get("challenge") or data["phase"]
        if change:
            placement_edit(
                placement=Placement.objects.get(pk=obj.pk),
                data={**data, "target": target},
                actor=actor(request),
            )
            return
        placement, _ = placement_place(
            paper=data["paper"], target=target, actor=actor(request), evidence=data["evidence"]
        )
        obj.pk = placement.pk

    def delete_model(self, request: HttpRequest, obj: Placement) -> None:
        placement_delete(placement=obj, actor=actor(request))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        for placement in queryset:
            placement_delete(placement=placement, actor=actor(request))

    @admin.display(description="paper", ordering="paper__title")
    def paper_title(self, obj: Placement) -> str:
        return short(obj.paper.title, 70)

    @admin.display(description="placed into")
    def target_display(self, obj: Placement) -> str:
        return f"{obj.target_kind}: {obj.target}"

    @admin.display(description="evidence")
    def short_evidence(self, obj: Placement) -> str:
        return short(obj.evidence, 60)

    @admin.action(description="Accept selected placements", permissions=["change"])
    def accept(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        changed = placement_review(placements=queryset, accept=True, actor=actor(request))
        self.message_user(request, f"Accepted {changed} placement(s).", messages.SUCCESS)

    @admin.action(description="Reject selected placements", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        changed = placement_review(placements=queryset, accept=False, actor=actor(request))
        self.message_user(request, f"Rejected {changed} placement(s).", messages.SUCCESS)


# --- Authors and categories -------------------------------------------------------------


class AuthorAdminForm(forms.ModelForm):
    """A name that folds like another author's is that author: say so on the form."""

    class Meta:
        model = Author
        fields = ("name", "curator_edited_fields")

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data.get("name", "").split())
        if not author_key(name):
            raise ValidationError("A name needs letters or digits.")
        other = author_conflict(name=name, exclude=self.instance.pk)
        if other is not None:
            raise ValidationError(
                f"Author #{other.pk} ({other.name}) has the same name once accents, case and "
                "punctuation are ignored; merge the two with the list's “Merge” action."
            )
        return name


class MergeAuthorsForm(forms.Form):
    """Which of the selected authors stays (the others are merged into it)."""

    into = forms.ModelChoiceField(Author.objects.none(), label="Keep", empty_label=None)


@admin.register(Author)
class AuthorAdmin(CuratedAdmin):
    form = AuthorAdminForm
    list_display = ("name", "paper_count")
    search_fields = ("name", "name_key")
    readonly_fields = ("name_key",)
    actions = ("merge_authors",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Author]:
        return (
            super()
            .get_queryset(request)
            .annotate(paper_count=subquery_count(Authorship, "author", distinct="paper"))
        )

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, obj: Author) -> int:
        return obj.paper_count  # type: ignore[attr-defined]

    def save_model(
        self, request: HttpRequest, obj: Author, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            stored = Author.objects.get(pk=obj.pk)
            data = {name: form.cleaned_data[name] for name in changed_fields(form, stored)}
            author_edit(author=stored, data=data, actor=actor(request))
        else:
            obj.pk = author_create(name=form.cleaned_data["name"], actor=actor(request)).pk

    def delete_model(self, request: HttpRequest, obj: Author) -> None:
        author_delete(author=obj, actor=actor(request))

    @admin.action(description="Merge selected authors (one person)…", permissions=["change"])
    def merge_authors(
        self, request: HttpRequest, queryset: QuerySet[Author]
    ) -> HttpResponse | None:
        chosen = Author.objects.filter(pk__in=queryset.values("pk"))

        class Form(MergeAuthorsForm):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                cast(forms.ModelChoiceField, self.fields["into"]).queryset = chosen

        form, page = action_form_view(self, request, queryset, Form, "Merge authors")
        if form is None:
            return page
        into = form.cleaned_data["into"]
        merged = author_merge(into=into, others=list(chosen), actor=actor(request))
        self.message_user(request, f"Merged {merged} author(s) into {into}.", messages.SUCCESS)
        return None


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "paper_count")
    search_fields = ("code", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                paper_count=subquery_count(Paper.categories.through, "category", distinct="paper")
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Category | None = None) -> Any:
        return ("code",) if obj is not None else ()  # the code is the category's identity

    @admin.display(description="papers", ordering="paper_count")
    def paper_count(self, obj: Category) -> int:
        return obj.paper_count  # type: ignore[attr-defined]

    def save_model(
        self, request: HttpRequest, obj: Category, form: forms.ModelForm, change: bool
    ) -> None:
        category_save(code=obj.code, name=obj.name)

    def delete_model(self, request: HttpRequest, obj: Category) -> None:
        category_delete(category=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Category]) -> None:
        for category in queryset:
            category_delete(category=category)


# --- Search vocabulary ------------------------------------------------------------------


@admin.register(Synonym)
class SynonymAdmin(SimpleHistoryAdmin):
    """The field's vocabulary: each pair is searched as one term (both ways)."""

    list_display = ("term", "equivalent", "note", "updated_at")
    search_fields = ("term", "equivalent", "note")
    fields = ("term", "equivalent", "note")

    def save_model(self, request: HttpRequest, obj: Synonym, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        synonym_save(synonym=obj, actor=request.user)

    def delete_model(self, request: HttpRequest, obj: Synonym) -> None:
        synonym_delete(synonyms=[obj], actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Synonym]) -> None:
        synonym_delete(synonyms=list(queryset), actor=request.user)
