"""One door for every write (issue 15): whatever path edits a title or an author's name —
the admin's add and change forms, its inlines and actions, the API, a BibTeX import, an arXiv
ingest — the corrected record imported afterwards lands on the same paper and the same author.

Admin tests drive the real admin through the Django test client with the form as a browser
would send it (read from the rendered page); imports run the real BibTeX and arXiv services.
"""

import io
from pathlib import Path

import lxml.html
import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.core.api.tokens import api_token_issue
from apps.ingestion.bibtex.services import bibtex_import
from apps.papers.models import Author, Paper, Placement
from apps.taxonomy.models import Challenge, Phase, ResearchDirection
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory
from tests.ingestion.standin import StandinPaper, atom_feed

pytestmark = pytest.mark.django_db

TITLE = "Large Language Models for Software Engineering"
TYPO = "Larg Language Models for Software Engeneering"


def entry(title: str, authors: list[str], key: str = "k", year: int = 2024, extra: str = "") -> str:
    """One BibTeX entry (authors as BibTeX writes them: "Last, First")."""
    return (
        f"@article{{{key},\n  title = {{{title}}},\n  author = {{{' and '.join(authors)}}},\n"
        f"  journal = {{ACM TOSEM}},\n  year = {{{year}}},\n{extra}}}\n"
    )


def import_bib(text: str) -> dict[str, int]:
    """Import through the real BibTeX service; every entry must land."""
    report = bibtex_import(text=text)
    assert report.counts["failed"] == 0, [e.reason for e in report.entries]
    return report.counts


def ingest_atom(tmp_path: Path, paper: StandinPaper) -> str:
    """`manage.py ingest_arxiv --from-file` on a saved Atom page holding `paper`."""
    page = tmp_path / f"{paper.arxiv_id}-v{paper.version}.atom"
    page.write_bytes(atom_feed([paper], total=1, start=0, per_page=1))
    out = io.StringIO()
    call_command("ingest_arxiv", "--from-file", str(page), stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def url(model: type, view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def form_values(client: Client, page_url: str) -> dict[str, list[str]]:
    """What a browser would submit from the admin page's main form, unchanged."""
    page = client.get(page_url)
    assert page.status_code == 200
    document = lxml.html.fromstring(page.content)
    form = next(f for f in document.forms if (f.get("id") or "").endswith("_form"))
    values: dict[str, list[str]] = {}
    for name, value in form.form_values():
        values.setdefault(name, []).append(value)
    return values


def submit(client: Client, page_url: str, data: dict) -> None:
    """Post an admin form and insist it saved (a redirect), showing the errors if not."""
    response = client.post(page_url, data)
    if response.status_code != 302:
        context = response.context or {}
        errors = [context["adminform"].form.errors] if "adminform" in context else []
        for formset in context.get("inline_admin_formsets", []):
            errors += [formset.formset.non_form_errors(), *(f.errors for f in formset.formset)]
        pytest.fail(f"not saved ({response.status_code}): {errors}")


def author_list(paper: Paper) -> list[str]:
    return [a.author.name for a in paper.authorships.select_related("author").order_by("position")]


# --- Admin: change, add, inline, actions -----------------------------------------------------


def test_admin_change_of_a_title_then_the_corrected_import_is_one_paper(curator_client) -> None:  # type: ignore[no-untyped-def]
    import_bib(entry(TYPO, ["Hou, Xinyi", "Zhao, Yanjie"], key="hou2024larg"))
    paper = Paper.objects.get()
    data = form_values(curator_client, url(Paper, "change", paper.pk))
    data["title"] = [TITLE]

    submit(curator_client, url(Paper, "change", paper.pk), data)
    counts = import_bib(entry(TITLE, ["Hou, Xinyi", "Zhao, Yanjie"], key="hou2024large"))

    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert Author.objects.count() == 2
    paper.refresh_from_db()
    assert paper.title == TITLE
    assert paper.title_key == "large language models for software engineering"
    assert "title" in paper.curator_edited_fields
    assert paper.history.latest().history_user.username == "curator"


def test_admin_revert_of_a_title_from_the_history_page_keeps_the_key(curator_client) -> None:  # type: ignore[no-untyped-def]
    import_bib(entry(TITLE, ["Hou, Xinyi"]))
    paper = Paper.objects.get()
    original = paper.history.earliest()
    data = form_values(curator_client, url(Paper, "change", paper.pk))
    data["title"] = [TYPO]
    submit(curator_client, url(Paper, "change", paper.pk), data)
    revert = url(Paper, "simple_history", paper.pk, original.history_id)

    submit(curator_client, revert, form_values(curator_client, revert))
    counts = import_bib(entry(TITLE, ["Hou, Xinyi"]))

    paper.refresh_from_db()
    assert (paper.title, paper.title_key) == (
        TITLE,
        "large language models for software engineering",
    )
    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert paper.history.latest().history_user.username == "curator"


def test_admin_add_matches_like_an_import_and_gets_a_citation_key(curator_client) -> None:  # type: ignore[no-untyped-def]
    popup = url(Author, "add") + "?_to_field=id&_popup=1"  # the inline's "+" link
    author_form = form_values(curator_client, popup)
    author_form["name"] = ["Łukasz Kaiser"]
    added = curator_client.post(popup, author_form)
    kaiser = Author.objects.get()
    assert added.status_code == 200
    assert f"&quot;value&quot;: &quot;{kaiser.pk}&quot;" in added.content.decode()
    data = form_values(curator_client, url(Paper, "add"))
    data.update(
        {
            "title": ["Attention Is All You Need"],
            "year": ["2017"],
            "status": ["included"],
            "authorships-TOTAL_FORMS": ["1"],
            "authorships-0-position": ["0"],
            "authorships-0-author": [str(kaiser.pk)],
            "authorships-0-affiliation": ["Google Brain"],
        }
    )

    submit(curator_client, url(Paper, "add"), data)
    paper = Paper.objects.get()
    counts = import_bib(
        entry("Attention is all you need", ["Kaiser, Lukasz"], key="vaswani2017", year=2017)
    )
    response = curator_client.post(url(Paper, "add"), data, follow=True)

    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert Author.objects.count() == 1
    assert kaiser.name_key == "lukasz kaiser"
    assert (paper.source, paper.status) == ("manual", "included")
    assert paper.bibtex_key == "kaiser2017attention"
    assert author_list(paper) == ["Łukasz Kaiser"]
    assert paper.authorships.get().affiliation == "Google Brain"
    assert {"title", "year", "authors"} <= set(paper.curator_edited_fields)
    assert "already in the knowledge base" in response.content.decode()


def test_admin_inline_author_swap_then_the_corrected_import_is_one_paper_one_author(
    curator_client,  # type: ignore[no-untyped-def]
) -> None:
    import_bib(entry(TITLE, ["Huo, Xinyi", "Zhao, Yanjie"]))  # a typo in the first author
    paper = Paper.objects.get()
    author_form = form_values(curator_client, url(Author, "add"))
    author_form["name"] = ["Xinyi Hou"]
    submit(curator_client, url(Author, "add"), author_form)
    hou = Author.objects.get(name="Xinyi Hou")
    data = form_values(curator_client, url(Paper, "change", paper.pk))
    first = next(k for k, v in data.items() if k.endswith("-position") and v == ["0"])
    data[first.replace("-position", "-author")] = [str(hou.pk)]
    data[first.replace("-position", "-affiliation")] = ["Huazhong University"]

    submit(curator_client, url(Paper, "change", paper.pk), data)
    counts = import_bib(entry(TITLE, ["Hou, Xinyi", "Zhao, Yanjie"]))

    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert Author.objects.filter(name_key="xinyi hou").count() == 1
    paper.refresh_from_db()
    assert author_list(paper) == ["Xinyi Hou", "Yanjie Zhao"]
    assert paper.author_names == "Xinyi Hou; Yanjie Zhao"
    assert paper.authorships.get(position=0).affiliation == "Huazhong University"
    assert "authors" in paper.curator_edited_fields


def test_admin_rename_of_an_author_then_the_corrected_import_is_one_paper_one_author(
    curator_client,  # type: ignore[no-untyped-def]
) -> None:
    import_bib(entry(TITLE, ["Huo, Xinyi", "Zhao, Yanjie"]))
    typo = Author.objects.get(name="Xinyi Huo")
    data = form_values(curator_client, url(Author, "change", typo.pk))
    data["name"] = ["Xinyi Hou"]

    submit(curator_client, url(Author, "change", typo.pk), data)
    counts = import_bib(entry(TITLE, ["Hou, Xinyi", "Zhao, Yanjie"]))

    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert Author.objects.count() == 2
    typo.refresh_from_db()
    assert (typo.name, typo.name_key) == ("Xinyi Hou", "xinyi hou")
    assert Paper.objects.get().author_names == "Xinyi Hou; Yanjie Zhao"


def test_admin_refuses_an_author_name_that_is_another_authors(curator_client) -> None:  # type: ignore[no-untyped-def]
    import_bib(entry(TITLE, ["Kaiser, Lukasz", "Zhao, Yanjie"]))
    zhao = Author.objects.get(name="Yanjie Zhao")
    data = form_values(curator_client, url(Author, "change", zhao.pk))
    data["name"] = ["Łukasz  Kaiser"]

    renamed = curator_client.post(url(Author, "change", zhao.pk), data)
    added = curator_client.post(url(Author, "add"), {**data, "name": "LUKASZ KAISER"})

    for response in (renamed, added):
        assert response.status_code == 200
        assert "merge the two" in response.content.decode()
    assert sorted(Author.objects.values_list("name", flat=True)) == ["Lukasz Kaiser", "Yanjie Zhao"]


def test_admin_merge_action_then_the_corrected_import_is_one_author(curator_client) -> None:  # type: ignore[no-untyped-def]
    import_bib(
        entry(TITLE, ["Hou, X.", "Zhao, Yanjie"], key="a")
        + entry("Agents for Code Review", ["Zhao, Yanjie", "Hou, Xinyi"], key="b")
    )
    short, full = Author.objects.get(name="X. Hou"), Author.objects.get(name="Xinyi Hou")
    selected = {"action": "merge_authors", "_selected_action": [short.pk, full.pk]}

    asked = curator_client.post(url(Author, "changelist"), selected)
    curator_client.post(url(Author, "changelist"), {**selected, "apply": "1", "into": full.pk})
    counts = import_bib(entry(TITLE, ["Hou, Xinyi", "Zhao, Yanjie"], key="a"))

    assert asked.status_code == 200
    assert b"Keep" in asked.content
    assert counts["created"] == 0
    assert not Author.objects.filter(pk=short.pk).exists()
    assert Paper.objects.count() == 2
    assert Author.objects.count() == 2
    assert full.authorships.count() == 2
    assert Paper.objects.get(title=TITLE).author_names == "Xinyi Hou; Yanjie Zhao"


def test_admin_delete_actions_go_through_the_services(curator_client, curator) -> None:  # type: ignore[no-untyped-def]
    papers = PaperFactory.create_batch(2)
    placement = PlacementFactory(paper=papers[0])

    curator_client.post(
        url(Placement, "changelist"),
        {"action": "delete_selected", "_selected_action": [placement.pk], "post": "yes"},
    )
    curator_client.post(
        url(Paper, "changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in papers], "post": "yes"},
    )

    assert not Paper.objects.exists()
    assert not Placement.objects.exists()
    gone = Paper.history.filter(history_type="-")
    assert gone.count() == 2
    assert {row.history_user for row in gone} == {curator}
    assert Placement.history.filter(history_type="-").get().history_user == curator


def test_admin_inline_placement_delete_goes_through_the_service(curator_client, curator) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(authors=1)
    PlacementFactory(paper=paper)
    data = form_values(curator_client, url(Paper, "change", paper.pk))
    data["placements-0-DELETE"] = ["on"]

    submit(curator_client, url(Paper, "change", paper.pk), data)

    assert not paper.placements.exists()
    assert Placement.history.filter(history_type="-").get().history_user == curator


def test_admin_taxonomy_edit_moves_placements_with_the_challenge(curator_client) -> None:  # type: ignore[no-untyped-def]
    challenge = ChallengeFactory()
    elsewhere = PhaseFactory()
    placement = PlacementFactory(challenge=challenge)
    data = form_values(curator_client, url(Challenge, "change", challenge.pk))
    data["phase"] = [str(elsewhere.pk)]

    submit(curator_client, url(Challenge, "change", challenge.pk), data)

    placement.refresh_from_db()
    assert placement.phase_id == elsewhere.pk
    assert "phase" in Challenge.objects.get(pk=challenge.pk).curator_edited_fields


def test_admin_adds_a_phase_with_status_topics_through_the_services(
    curator_client,  # type: ignore[no-untyped-def]
    curator,
) -> None:
    data = form_values(curator_client, url(Phase, "add"))
    data.update(
        {
            "order": ["42"],
            "name": ["Governance"],
            "slug": ["governance"],
            "keywords": ['["audit"]'],
            "status_topics-TOTAL_FORMS": ["1"],
            "status_topics-0-position": ["0"],
            "status_topics-0-name": ["Few studies so far"],
            "status_topics-0-provenance": ["curated"],
        }
    )

    submit(curator_client, url(Phase, "add"), data)

    phase = Phase.objects.get(slug="governance")
    assert {"name", "slug", "order"} <= set(phase.curator_edited_fields)
    assert phase.history.get().history_user == curator
    topic = phase.status_topics.get()
    assert (topic.name, topic.history.get().history_user) == ("Few studies so far", curator)


def test_admin_adds_a_direction_with_its_challenges_through_the_service(curator_client) -> None:  # type: ignore[no-untyped-def]
    phase = PhaseFactory()
    first, second = ChallengeFactory(phase=phase), ChallengeFactory(phase=phase)
    data = form_values(curator_client, url(ResearchDirection, "add"))
    data.update(
        {
            "phase": [str(phase.pk)],
            "position": ["0"],
            "name": ["Guardrails"],
            "slug": ["guardrails"],
            "status": ["open"],
            "provenance": ["curated"],
            "challenges": [str(first.pk), str(second.pk)],
        }
    )

    submit(curator_client, url(ResearchDirection, "add"), data)

    direction = ResearchDirection.objects.get(slug="guardrails")
    assert set(direction.challenges.all()) == {first, second}
    assert {"name", "slug", "phase"} <= set(direction.curator_edited_fields)


def test_admin_add_with_a_malformed_identifier_is_a_form_error(curator_client) -> None:  # type: ignore[no-untyped-def]
    data = form_values(curator_client, url(Paper, "add"))
    data.update({"title": ["A paper"], "arxiv_id": ["not-an-id"], "doi": ["10.1000/x"]})

    response = curator_client.post(url(Paper, "add"), data)

    assert response.status_code == 200
    assert "is not an arXiv id" in response.content.decode()
    assert not Paper.objects.exists()


# --- API, BibTeX import, arXiv ingest ----------------------------------------------------------


def test_api_edit_then_the_corrected_import_is_one_paper_one_author(curator) -> None:  # type: ignore[no-untyped-def]
    import_bib(entry(TYPO, ["Huo, Xinyi", "Zhao, Yanjie"]))
    paper = Paper.objects.get()
    token, _ = api_token_issue(user=curator)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.patch(
        f"/api/v1/papers/{paper.pk}/",
        {"title": TITLE, "authors": ["Xinyi Hou", "Yanjie Zhao"]},
        format="json",
    )
    counts = import_bib(entry(TITLE, ["Hou, Xinyi", "Zhao, Yanjie"]))

    assert response.status_code == 200, response.content
    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert Author.objects.filter(name_key="xinyi hou").count() == 1
    assert author_list(Paper.objects.get()) == ["Xinyi Hou", "Yanjie Zhao"]


def test_arxiv_ingest_of_a_corrected_version_then_a_bibtex_import_is_one_paper(
    tmp_path: Path,
) -> None:
    first = StandinPaper("2401.05555", TYPO, authors=[("Lukasz Kaiser", ""), ("Søren Hauberg", "")])
    second = StandinPaper(
        "2401.05555",
        TITLE,
        versions=["2024-01-02T10:00:00Z", "2024-02-02T10:00:00Z"],
        authors=[("Łukasz Kaiser", ""), ("Soren Hauberg", "")],
    )

    assert ingest_atom(tmp_path, first).startswith("created=1")
    assert ingest_atom(tmp_path, second).startswith("created=0 updated=1")
    counts = import_bib(entry(TITLE, ["Kaiser, {\\L}ukasz", "Hauberg, S{\\o}ren"]))

    assert counts["created"] == 0
    assert Paper.objects.count() == 1
    assert Author.objects.count() == 2
    assert Paper.objects.get().title_key == "large language models for software engineering"


def test_bibtex_import_completes_an_author_list_then_the_arxiv_record_is_one_paper(
    tmp_path: Path,
) -> None:
    PaperFactory(title=TITLE, arxiv_id=None, year=2024, authors=["Xinyi Hou"], status="inbox")
    counts = import_bib(entry(TITLE, ["Hou, Xinyi", "Zhao, Yanjie", "Wang, Haoyu"]))
    arxiv = StandinPaper(
        "2308.10620",
        TITLE,
        versions=["2024-01-02T10:00:00Z"],
        authors=[("Xinyi Hou", ""), ("Yanjie Zhao", ""), ("Haoyu Wang", "")],
    )

    ingested = ingest_atom(tmp_path, arxiv)

    assert counts["updated"] == 1
    assert ingested.startswith("created=0")
    assert Paper.objects.count() == 1
    assert Author.objects.count() == 3
    paper = Paper.objects.get()
    assert paper.arxiv_id == "2308.10620"
    assert author_list(paper) == ["Xinyi Hou", "Yanjie Zhao", "Haoyu Wang"]
