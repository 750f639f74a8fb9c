"""The curator's inbox: reachable from the admin index with its count, rows with suggestions
and the start of the abstract, one action that accepts a suggestion and includes the paper,
and a constant number of queries."""

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.papers.models import Paper, Placement
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory

pytestmark = pytest.mark.django_db


def inbox_paper_with_suggestions(phase, challenge, n: int = 0) -> Paper:  # type: ignore[no-untyped-def]
    paper = PaperFactory(
        title=f"Metamorphic testing of chat models {n}",
        abstract="We check consistency across paraphrases. " * 30,
        status=Paper.Status.INBOX,
    )
    for target, confidence in ((phase, 0.6), (challenge, 0.8)):
        PlacementFactory(
            paper=paper,
            **({"challenge": target} if target is challenge else {"phase": target}),
            origin=Placement.Origin.SUGGESTED,
            review_state=Placement.ReviewState.PENDING,
            confidence=confidence,
            evidence=f"Suggested: keywords in the title: metamorphic ({n}).",
        )
    return paper


@pytest.fixture
def taxonomy():  # type: ignore[no-untyped-def]
    phase = PhaseFactory(slug="testing", order=1, name="Testing and Evaluation")
    return phase, ChallengeFactory(phase=phase, slug="oracles", name="Test oracles")


def test_the_admin_index_links_the_inbox_with_its_count_and_the_token_page(
    curator_client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    for n in range(3):
        inbox_paper_with_suggestions(*taxonomy, n)
    PaperFactory()  # included: not waiting

    html = curator_client.get("/admin/").content.decode()

    assert re.search(r'<a href="/admin/inbox/">Inbox</a></th>\s*<td>3 papers waiting', html)
    assert 'href="/admin/api-token/"' in html


def test_an_inbox_row_shows_its_suggestions_and_the_start_of_the_abstract(
    curator_client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper_with_suggestions(*taxonomy)

    html = curator_client.get("/admin/inbox/").content.decode()
    row = html.split(f'id="inbox-paper-{paper.pk}"', 1)[1]

    assert "Metamorphic testing of chat models" in row
    assert "We check consistency across paraphrases." in row
    assert "…" in row  # only the start of a long abstract
    assert row.index("Test oracles") < row.index("Testing and Evaluation</strong>")  # best first
    assert "0.80" in row
    assert "keywords in the title: metamorphic" in row
    assert "in Testing and Evaluation" in row  # a challenge is named with its phase


def test_accept_and_include_places_the_paper_and_makes_it_public(
    curator_client: Client, client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    phase, challenge = taxonomy
    paper = inbox_paper_with_suggestions(phase, challenge)
    suggestion = paper.placements.get(challenge=challenge)

    response = curator_client.post("/admin/inbox/accept/", {"placement": suggestion.pk})

    paper.refresh_from_db()
    suggestion.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/admin/inbox/"
    assert paper.status == Paper.Status.INCLUDED
    assert suggestion.review_state == Placement.ReviewState.ACCEPTED
    assert paper.placements.get(phase=phase, challenge=None).review_state == "pending"
    assert "Metamorphic testing" in client.get("/challenges/oracles/").content.decode()
    inbox = curator_client.get("/admin/inbox/").content.decode()
    assert f'id="inbox-paper-{paper.pk}"' not in inbox


def test_accepting_a_rejected_or_unknown_suggestion_is_a_clear_message(
    curator_client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper_with_suggestions(*taxonomy)
    rejected = paper.placements.first()
    Placement.objects.filter(pk=rejected.pk).update(review_state="rejected")

    first = curator_client.post("/admin/inbox/accept/", {"placement": rejected.pk}, follow=True)
    second = curator_client.post("/admin/inbox/accept/", {"placement": 999999}, follow=True)

    paper.refresh_from_db()
    assert paper.status == Paper.Status.INBOX
    assert "This placement was rejected" in first.content.decode()
    assert "There is no placement with id 999999" in second.content.decode()


def test_the_inbox_is_for_curators_only(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper_with_suggestions(*taxonomy)
    suggestion = paper.placements.first()

    page = client.get("/admin/inbox/")
    post = client.post("/admin/inbox/accept/", {"placement": suggestion.pk})

    assert page.status_code == 302
    assert post.status_code == 302
    assert "/admin/login/" in post["Location"]
    paper.refresh_from_db()
    assert paper.status == Paper.Status.INBOX


def test_the_inbox_costs_the_same_for_2_or_12_papers(curator_client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert curator_client.get("/admin/inbox/").status_code == 200
        return len(captured)

    for n in range(2):
        inbox_paper_with_suggestions(*taxonomy, n)
    few = queries()
    for n in range(2, 12):
        inbox_paper_with_suggestions(*taxonomy, n)
    assert queries() == few


def test_the_place_form_asks_for_one_target_and_names_challenges_with_their_phase(
    curator_client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    paper = inbox_paper_with_suggestions(*taxonomy)

    html = curator_client.post(
        "/admin/papers/paper/",
        {"action": "place_papers", "_selected_action": [paper.pk]},
    ).content.decode()

    assert "Pick one target only" in html
    assert "Testing and Evaluation: Test oracles" in html
