"""The curator admin: access, every page, actions, history and query counts."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.test import Client
from django.urls import reverse

from apps.ingestion.models import HarvestSource, IngestRun
from apps.papers.models import Author, Category, Paper, Placement
from apps.taxonomy.models import Challenge, Phase, ResearchDirection, StatusTopic
from tests.factories import (
    CategoryFactory,
    ChallengeFactory,
    HarvestSourceFactory,
    IngestRunFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
    StatusTopicFactory,
)

pytestmark = pytest.mark.django_db

CURATED_MODELS = [
    Phase,
    StatusTopic,
    Challenge,
    ResearchDirection,
    Paper,
    Author,
    Placement,
    Category,
    HarvestSource,
    IngestRun,
]


def changelist(model: type) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def change(obj: object, view: str = "change") -> str:
    meta = obj._meta  # type: ignore[attr-defined]
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])  # type: ignore[attr-defined]


def test_every_domain_model_is_in_the_admin() -> None:
    for model in CURATED_MODELS:
        assert admin.site.is_registered(model), model


@pytest.mark.parametrize("model", CURATED_MODELS, ids=lambda m: m.__name__)
def test_a_curator_opens_every_list_and_change_page(survey, curator_client, model) -> None:  # type: ignore[no-untyped-def]
    HarvestSourceFactory()
    IngestRunFactory()
    CategoryFactory()
    PlacementFactory(
        paper=Paper.objects.first(),
        challenge=Challenge.objects.first(),
        origin="suggested",
        review_state="pending",
    )

    listing = curator_client.get(changelist(model))
    detail = curator_client.get(change(model.objects.first()))
    history = curator_client.get(change(model.objects.first(), "history"))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert history.status_code == 200


@pytest.mark.parametrize("model", CURATED_MODELS, ids=lambda m: m.__name__)
def test_anonymous_users_are_sent_to_log_in(model, client: Client) -> None:  # type: ignore[no-untyped-def]
    response = client.get(changelist(model))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_curator_cannot_manage_users_or_groups(curator_client) -> None:  # type: ignore[no-untyped-def]
    assert curator_client.get(changelist(User)).status_code == 403
    assert curator_client.get(changelist(Group)).status_code == 403
    assert curator_client.get(reverse("admin:auth_user_add")).status_code == 403


def test_a_curators_edit_is_in_the_history_and_protected(survey, curator_client, curator) -> None:  # type: ignore[no-untyped-def]
    challenge = Challenge.objects.get(slug="requirement-accuracy")
    form = curator_client.get(change(challenge)).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data.update(
        phase=challenge.phase_id,
        summary="Sharper wording by a curator.",
        keywords='["specification"]',
        curator_edited_fields="[]",
    )

    response = curator_client.post(change(challenge), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    challenge.refresh_from_db()
    assert challenge.summary == "Sharper wording by a curator."
    assert "summary" in challenge.curator_edited_fields
    latest = challenge.history.latest()
    assert latest.history_user == curator
    assert latest.summary == "Sharper wording by a curator."
    history_page = curator_client.get(change(challenge, "history"))
    assert b"Sharper wording by a curator." in history_page.content


def test_include_and_exclude_actions(curator_client) -> None:  # type: ignore[no-untyped-def]
    inbox = PaperFactory.create_batch(2, status=Paper.Status.INBOX)
    ids = [str(p.pk) for p in inbox]

    curator_client.post(changelist(Paper), {"action": "include_papers", "_selected_action": ids})
    assert set(Paper.objects.values_list("status", flat=True)) == {"included"}

    asked = curator_client.post(
        changelist(Paper), {"action": "exclude_papers", "_selected_action": ids}
    )
    assert asked.status_code == 200
    assert b"reason" in asked.content
    assert Paper.objects.filter(status="excluded").count() == 0

    curator_client.post(
        changelist(Paper),
        {"action": "exclude_papers", "_selected_action": ids, "apply": "1", "reason": "Off topic"},
    )
    assert set(Paper.objects.values_list("status", "status_reason")) == {("excluded", "Off topic")}


def test_place_action_puts_papers_into_a_challenge(curator_client, curator) -> None:  # type: ignore[no-untyped-def]
    challenge = ChallengeFactory()
    papers = PaperFactory.create_batch(3)

    curator_client.post(
        changelist(Paper),
        {
            "action": "place_papers",
            "_selected_action": [str(p.pk) for p in papers],
            "apply": "1",
            "challenge": str(challenge.pk),
        },
    )

    placements = Placement.objects.filter(challenge=challenge)
    assert placements.count() == 3
    assert {(p.phase_id, p.origin, p.review_state, p.reviewed_by_id) for p in placements} == {
        (challenge.phase_id, "curator", "accepted", curator.pk)
    }


def test_suggestions_are_accepted_or_rejected_from_the_paper_list(curator_client) -> None:  # type: ignore[no-untyped-def]
    first, second = PaperFactory.create_batch(2)
    PlacementFactory(paper=first, origin="suggested", review_state="pending")
    PlacementFactory(paper=second, origin="suggested", review_state="pending")

    curator_client.post(
        changelist(Paper), {"action": "accept_suggestions", "_selected_action": [first.pk]}
    )
    curator_client.post(
        changelist(Paper), {"action": "reject_suggestions", "_selected_action": [second.pk]}
    )

    assert first.placements.get().review_state == "accepted"
    assert second.placements.get().review_state == "rejected"


def test_adding_a_placement_inline_derives_its_phase(curator_client, curator) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(authors=1)
    challenge = ChallengeFactory()
    page = curator_client.get(change(paper))
    form = page.context["adminform"].form
    data = {
        name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None
    }
    data["categories"] = []
    data["bibtex_fields"] = "{}"
    data["curator_edited_fields"] = "[]"
    for formset in page.context["inline_admin_formsets"]:
        prefix = formset.formset.prefix
        data[f"{prefix}-TOTAL_FORMS"] = formset.formset.total_form_count() + (
            1 if formset.formset.model is Placement else 0
        )
        data[f"{prefix}-INITIAL_FORMS"] = formset.formset.initial_form_count()
        for index, inline_form in enumerate(formset.formset.forms):
            for name, value in inline_form.initial.items():
                data[f"{prefix}-{index}-{name}"] = value if value is not None else ""
            data[f"{prefix}-{index}-paper"] = paper.pk
            data[f"{prefix}-{index}-id"] = inline_form.instance.pk
        if formset.formset.model is Placement:
            new = formset.formset.total_form_count()
            data[f"{prefix}-{new}-challenge"] = challenge.pk
            data[f"{prefix}-{new}-review_state"] = "accepted"
            data[f"{prefix}-{new}-evidence"] = "Section 4"

    response = curator_client.post(change(paper), data)

    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.errors for fs in response.context["inline_admin_formsets"] for f in fs.formset.forms],
    )
    placement = paper.placements.get()
    assert (placement.phase_id, placement.challenge_id, placement.origin) == (
        challenge.phase_id,
        challenge.pk,
        "curator",
    )
    assert placement.reviewed_by == curator


def build_rows(model: type, count: int) -> None:
    """`count` rows of `model` with the relations its list page shows."""
    phase = Phase.objects.first() or PhaseFactory()
    for _ in range(count):
        if model is Paper:
            paper = PaperFactory(authors=3)
            PlacementFactory(paper=paper, phase=phase)
        elif model is Placement:
            PlacementFactory(challenge=ChallengeFactory(phase=phase))
        elif model is Phase:
            ChallengeFactory(phase=PhaseFactory())
        elif model is Challenge:
            challenge = ChallengeFactory(phase=phase)
            ResearchDirectionFactory(phase=phase, challenges=[challenge])
        elif model is ResearchDirection:
            ResearchDirectionFactory(
                phase=phase,
                challenges=[ChallengeFactory(phase=phase), ChallengeFactory(phase=phase)],
            )
        elif model is StatusTopic:
            StatusTopicFactory(phase=phase)
        elif model is Author:
            PaperFactory(authors=2)
        elif model is Category:
            CategoryFactory(code=f"cs.X{Category.objects.count()}")
        elif model is HarvestSource:
            HarvestSourceFactory()
        elif model is IngestRun:
            IngestRunFactory(source=HarvestSourceFactory())


@pytest.mark.parametrize("model", CURATED_MODELS, ids=lambda m: m.__name__)
def test_list_pages_run_the_same_queries_for_5_and_50_rows(model, curator_client) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = curator_client.get(changelist(model))
        assert response.status_code == 200
        return len(captured)

    build_rows(model, 5)
    assert model.objects.count() >= 5
    with_5 = queries_for_page()
    build_rows(model, 45)
    with_50 = queries_for_page()

    assert with_50 == with_5
