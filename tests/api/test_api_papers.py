"""The paper endpoints: every filter and their combinations, ordering, search, paging, field
selection, visibility, and curators' writes."""

import json
from datetime import UTC, datetime

import pytest

from apps.papers.models import Authorship, Citation, Paper, Placement
from apps.papers.records import AuthorRecord, PaperRecord
from apps.papers.services import paper_upsert
from tests.api.helpers import ids
from tests.factories import (
    CategoryFactory,
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/papers/"


def found(client, **params) -> list[str]:
    response = client.get(URL, {**params, "page_size": 200})
    assert response.status_code == 200, response.json()
    return sorted(row["title"] for row in response.json()["results"])


@pytest.fixture
def library():
    """Five public papers spread over the taxonomy, years, authors, categories and ids, plus
    an inbox and an excluded paper that the public must never see."""
    design = PhaseFactory(slug="design", order=1)
    testing = PhaseFactory(slug="testing", order=2)
    oracle = ChallengeFactory(slug="oracle", phase=testing)
    flaky = ChallengeFactory(slug="flaky", phase=testing)
    fuzz = ResearchDirectionFactory(slug="fuzzing", phase=testing, challenges=[oracle])
    a = PaperFactory(
        title="Alpha requirements",
        year=2021,
        authors=["Ada Lovelace", "Alan Turing"],
        doi="10.1000/alpha",
        arxiv_id="2101.00001",
        source=Paper.Source.SEED,
    )
    b = PaperFactory(title="Beta oracles", year=2022, authors=["Grace Hopper"])
    c = PaperFactory(
        title="Gamma fuzzing", year=2023, authors=["Alan Kay"], source=Paper.Source.BIBTEX
    )
    d = PaperFactory(title="Delta flakiness", year=2024, authors=["Barbara Liskov"])
    e = PaperFactory(title="Epsilon unplaced", year=2025, authors=["Edsger Dijkstra"])
    inbox = PaperFactory(title="Hidden inbox", status=Paper.Status.INBOX, year=2022)
    excluded = PaperFactory(
        title="Hidden excluded", status=Paper.Status.EXCLUDED, status_reason="off topic"
    )
    a.categories.add(CategoryFactory(code="cs.SE"))
    b.categories.add(CategoryFactory(code="cs.SE"), CategoryFactory(code="cs.LG"))
    c.categories.add(CategoryFactory(code="cs.CR"))
    PlacementFactory(paper=a, phase=design)
    PlacementFactory(paper=b, challenge=oracle)
    PlacementFactory(paper=c, direction=fuzz)
    PlacementFactory(paper=d, challenge=flaky)
    PlacementFactory(  # a pending suggestion: not a placement for the public
        paper=e,
        phase=design,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
    )
    PlacementFactory(paper=inbox, phase=design)
    PlacementFactory(paper=excluded, challenge=oracle)
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "inbox": inbox, "excluded": excluded}


PUBLIC = [
    "Alpha requirements",
    "Beta oracles",
    "Delta flakiness",
    "Epsilon unplaced",
    "Gamma fuzzing",
]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, PUBLIC),
        ({"phase": "design"}, ["Alpha requirements"]),
        ({"phase": "testing"}, ["Beta oracles", "Delta flakiness", "Gamma fuzzing"]),
        ({"phase": ["design", "testing"]}, [t for t in PUBLIC if t != "Epsilon unplaced"]),
        ({"phase": "design,testing"}, [t for t in PUBLIC if t != "Epsilon unplaced"]),
        ({"challenge": "oracle"}, ["Beta oracles"]),
        ({"challenge": ["oracle", "flaky"]}, ["Beta oracles", "Delta flakiness"]),
        ({"direction": "fuzzing"}, ["Gamma fuzzing"]),
        ({"year": 2022}, ["Beta oracles"]),
        ({"year_min": 2023}, ["Delta flakiness", "Epsilon unplaced", "Gamma fuzzing"]),
        ({"year_max": 2022}, ["Alpha requirements", "Beta oracles"]),
        ({"year_min": 2022, "year_max": 2023}, ["Beta oracles", "Gamma fuzzing"]),
        ({"author": "alan"}, ["Alpha requirements", "Gamma fuzzing"]),
        ({"author": "LISKOV"}, ["Delta flakiness"]),
        ({"category": "cs.SE"}, ["Alpha requirements", "Beta oracles"]),
        ({"category": "cs.LG,cs.CR"}, ["Beta oracles", "Gamma fuzzing"]),
        ({"source": "bibtex"}, ["Gamma fuzzing"]),
        ({"source": "seed"}, ["Alpha requirements"]),
        ({"has_doi": "true"}, ["Alpha requirements"]),
        ({"has_doi": "false"}, [t for t in PUBLIC if t != "Alpha requirements"]),
        ({"arxiv_id": "arXiv:2101.00001v2"}, ["Alpha requirements"]),
        ({"doi": "https://doi.org/10.1000/ALPHA"}, ["Alpha requirements"]),
        ({"q": "oracles"}, ["Beta oracles"]),
        ({"q": "Hopper"}, ["Beta oracles"]),
        # combinations: AND across parameters
        ({"phase": "testing", "year_min": 2023}, ["Delta flakiness", "Gamma fuzzing"]),
        ({"phase": "testing", "challenge": "oracle"}, ["Beta oracles"]),
        ({"phase": "design", "challenge": "oracle"}, []),
        ({"category": "cs.SE", "author": "hopper", "year": 2022}, ["Beta oracles"]),
        ({"phase": "testing", "source": "bibtex", "q": "fuzzing"}, ["Gamma fuzzing"]),
        ({"has_doi": "true", "year_min": 2022}, []),
        # hidden papers stay hidden whatever the filter asks
        ({"status": "inbox"}, []),
        ({"status": "excluded"}, []),
        ({"q": "hidden"}, []),
    ],
)
def test_every_filter_and_combinations_for_the_public(anon, library, params, expected) -> None:
    assert found(anon, **params) == expected


def test_curators_see_every_paper_and_filter_by_status(curator_api, library) -> None:
    assert found(curator_api) == sorted([*PUBLIC, "Hidden excluded", "Hidden inbox"])
    assert found(curator_api, status="inbox") == ["Hidden inbox"]
    assert found(curator_api, status="excluded") == ["Hidden excluded"]
    assert found(curator_api, status="inbox", year=2022) == ["Hidden inbox"]


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"year": "abc"}, "year"),
        ({"year": "99999"}, "year"),
        ({"year_min": "1.5.2"}, "year_min"),
        ({"phase": "no-such-phase"}, "phase"),
        ({"challenge": "nope"}, "challenge"),
        ({"direction": "nope"}, "direction"),
        ({"category": "xx.YY"}, "category"),
        ({"source": "scraped"}, "source"),
        ({"status": "maybe"}, "status"),
        ({"arxiv_id": "not-an-id"}, "arxiv_id"),
        ({"doi": "doi-less"}, "doi"),
        ({"ordering": "random"}, "ordering"),
        ({"q": "x" * 501}, "q"),
        ({"q": "nul\x00byte"}, "q"),
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "500"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"cursor": "garbage"}, "cursor"),
        ({"cursor": "*", "page": "2"}, "cursor"),
        ({"fields": "title,nonsense"}, "fields"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(anon, library, params, parameter) -> None:
    response = anon.get(URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    payload = response.json()
    assert parameter in payload["errors"]
    assert parameter in payload["detail"]


def test_a_page_past_the_end_is_a_json_404(anon, library) -> None:
    response = anon.get(URL, {"page": 9})

    assert response.status_code == 404
    assert "past the last page" in response.json()["detail"]


def test_an_unknown_format_is_a_404_naming_the_formats(anon, library) -> None:
    response = anon.get(URL, {"format": "xml"})

    assert response.status_code == 404
    assert "bibtex" in response.json()["detail"]


def test_unknown_api_urls_answer_json_404(anon) -> None:
    for url in ("/api/v1/nothing-here/", "/api/v2/papers/"):
        response = anon.get(url)
        assert response.status_code == 404
        assert "/api/v1/" in response.json()["detail"]


def test_newest_first_falls_back_to_the_year_where_a_paper_has_no_date(anon, library) -> None:
    dates = {"a": (2021, 5), "b": (2022, 1), "c": (2019, 1), "d": (2020, 3), "e": (2023, 7)}
    for key, (year, month) in dates.items():
        Paper.objects.filter(pk=library[key].pk).update(
            published_at=datetime(year, month, 1, tzinfo=UTC), year=year
        )
    # An import that gave only a year: among that year's papers, not first nor last.
    Paper.objects.filter(pk=library["c"].pk).update(published_at=None, year=2022)

    newest = [
        r["title"].split()[0] for r in anon.get(URL, {"ordering": "-published"}).json()["results"]
    ]
    oldest = [
        r["title"].split()[0] for r in anon.get(URL, {"ordering": "published"}).json()["results"]
    ]

    assert newest == ["Epsilon", "Beta", "Gamma", "Alpha", "Delta"]
    assert oldest == ["Delta", "Alpha", "Beta", "Gamma", "Epsilon"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("title", PUBLIC),
        ("-title", PUBLIC[::-1]),
        ("published", ["Gamma", "Delta", "Alpha", "Beta", "Epsilon"]),
        ("-published", ["Epsilon", "Beta", "Alpha", "Delta", "Gamma"]),
        (None, ["Epsilon", "Beta", "Alpha", "Delta", "Gamma"]),  # newest first by default
    ],
)
def test_ordering(anon, library, ordering, expected) -> None:
    dates = {"a": (2021, 5), "b": (2022, 1), "c": (2019, 1), "d": (2020, 3), "e": (2023, 7)}
    for key, (year, month) in dates.items():
        Paper.objects.filter(pk=library[key].pk).update(
            published_at=datetime(year, month, 1, tzinfo=UTC), year=year
        )

    params = {"ordering": ordering} if ordering else {}
    rows = anon.get(URL, params).json()["results"]

    titles = [row["title"] for row in rows]
    assert [t.split()[0] for t in titles] == [t.split()[0] for t in expected]


def test_search_orders_by_relevance_and_reports_it(anon) -> None:
    PaperFactory(title="Something else", abstract="We study flaky tests in passing.")
    PaperFactory(title="Flaky tests of language models", abstract="Flaky tests everywhere.")
    PaperFactory(title="Unrelated", abstract="Nothing to see.")

    rows = anon.get(URL, {"q": "flaky tests"}).json()["results"]

    assert [row["title"] for row in rows] == [
        "Flaky tests of language models",
        "Something else",
    ]
    assert rows[0]["relevance"] > rows[1]["relevance"] > 0
    assert anon.get(URL).json()["results"][0]["relevance"] is None


@pytest.mark.postgres
def test_postgres_search_is_weighted_full_text_with_websearch_syntax(anon) -> None:
    title_hit = PaperFactory(title="Testing compilers", abstract="A study.")
    author_hit = PaperFactory(title="Other", abstract="Also.", authors=["Ann Testing"])
    abstract_hit = PaperFactory(title="A third", abstract="We are testing things.")
    PaperFactory(title="Testing prompts", abstract="prompt injection")

    prompts = Paper.objects.get(title="Testing prompts")
    rows = anon.get(URL, {"q": "testing"}).json()["results"]

    # stemming (testing → test); weights: title (A) > authors (B) > abstract (C)
    assert {row["id"] for row in rows[:2]} == {title_hit.pk, prompts.pk}
    assert [row["id"] for row in rows[2:]] == [author_hit.pk, abstract_hit.pk]
    # websearch syntax: -word excludes, "…" is a phrase
    assert {row["id"] for row in anon.get(URL, {"q": "testing -prompts"}).json()["results"]} == {
        title_hit.pk,
        author_hit.pk,
        abstract_hit.pk,
    }
    assert found(anon, q='"testing compilers"') == ["Testing compilers"]
    assert found(anon, q="compiler") == ["Testing compilers"]


def test_field_selection_trims_every_row(anon, library) -> None:
    response = anon.get(URL, {"fields": "id,title,authors"})

    rows = response.json()["results"]
    assert rows
    assert all(set(row) == {"id", "title", "authors"} for row in rows)
    alpha = next(row for row in rows if row["title"] == "Alpha requirements")
    assert [a["name"] for a in alpha["authors"]] == ["Ada Lovelace", "Alan Turing"]
    detail = anon.get(f"{URL}{library['a'].pk}/", {"fields": "doi"})
    assert detail.json() == {"doi": "10.1000/alpha"}


def test_paper_detail_shows_authors_in_order_categories_and_public_placements(
    anon, library
) -> None:
    paper = library["b"]
    data = anon.get(f"{URL}{paper.pk}/").json()

    assert data["title"] == "Beta oracles"
    assert [a["name"] for a in data["authors"]] == ["Grace Hopper"]
    assert data["authors"][0]["url"].endswith(f"/api/v1/authors/{data['authors'][0]['id']}/")
    assert sorted(data["categories"]) == ["cs.LG", "cs.SE"]
    assert [p["challenge"]["slug"] for p in data["placements"]] == ["oracle"]
    assert data["placements"][0]["phase"]["slug"] == "testing"
    assert data["url"] == f"http://testserver{URL}{paper.pk}/"


def test_hidden_papers_and_placements_never_reach_the_public(anon, curator_api, library) -> None:
    for key in ("inbox", "excluded"):
        assert anon.get(f"{URL}{library[key].pk}/").status_code == 404
        assert anon.get(f"{URL}{library[key].pk}/", {"format": "bibtex"}).status_code == 404
    epsilon = anon.get(f"{URL}{library['e'].pk}/").json()
    assert epsilon["placements"] == []  # its suggestion is pending

    as_curator = curator_api.get(f"{URL}{library['e'].pk}/").json()
    assert [(p["origin"], p["review_state"]) for p in as_curator["placements"]] == [
        ("suggested", "pending")
    ]
    assert curator_api.get(f"{URL}{library['inbox'].pk}/").status_code == 200


def test_page_paging_defaults_to_25_and_links_pages(anon) -> None:
    PaperFactory.create_batch(30)

    first = anon.get(URL).json()
    assert first["count"] == 30
    assert len(first["results"]) == 25
    assert first["previous"] is None
    second = anon.get(first["next"]).json()
    assert len(second["results"]) == 5
    assert second["next"] is None
    assert anon.get(second["previous"]).json()["results"] == first["results"]
    big = anon.get(URL, {"page_size": 200}).json()
    assert len(big["results"]) == 30


def test_cursor_paging_visits_every_row_exactly_once(anon, curator_api) -> None:
    PaperFactory.create_batch(47)
    PaperFactory.create_batch(3, status=Paper.Status.INBOX)  # not the public's to scan

    seen: list[int] = []
    url, params, pages = URL, {"cursor": "*", "page_size": 10}, 0
    while url:
        page = anon.get(url, params).json()
        assert page["count"] == 47
        seen += [row["id"] for row in page["results"]]
        url, params, pages = page["next"], None, pages + 1
        assert pages <= 5
    assert len(seen) == len(set(seen)) == 47
    assert set(seen) == set(Paper.objects.included().values_list("pk", flat=True))
    assert seen == sorted(seen)
    assert pages == 5
    assert len(ids(curator_api.get(URL, {"cursor": "*", "page_size": 200}))) == 50


def test_cursor_paging_is_stable_while_rows_come_and_go(anon) -> None:
    first_batch = PaperFactory.create_batch(20)

    page = anon.get(URL, {"cursor": "*", "page_size": 8}).json()
    seen = [row["id"] for row in page["results"]]
    first_batch[0].delete()  # a row already seen disappears
    newcomer = PaperFactory()  # a row appears at the end
    while page["next"]:
        page = anon.get(page["next"]).json()
        seen += [row["id"] for row in page["results"]]

    assert len(seen) == len(set(seen)) == 21
    assert newcomer.pk in seen


def test_cursor_previous_goes_back_a_page(anon) -> None:
    PaperFactory.create_batch(12)
    first = anon.get(URL, {"cursor": "*", "page_size": 5}).json()
    second = anon.get(first["next"]).json()

    back = anon.get(second["previous"]).json()

    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert back["previous"] is None
    assert [r["id"] for r in anon.get(back["next"]).json()["results"]] == [
        r["id"] for r in second["results"]
    ]


# --- writes -------------------------------------------------------------------------------


def test_a_curator_adds_a_paper_and_its_fields_are_protected(curator_api) -> None:
    phase = PhaseFactory(slug="testing")
    response = curator_api.post(
        URL,
        {
            "title": "Hand-entered paper",
            "arxiv_id": "https://arxiv.org/abs/2402.00002v1",
            "authors": ["Ada Lovelace", "Alan Turing"],
            "categories": ["cs.SE"],
            "year": 2024,
            "status": "included",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    data = response.json()
    assert response["Location"] == data["url"]
    assert data["arxiv_id"] == "2402.00002"
    assert data["status"] == "included"
    assert data["source"] == "manual"
    assert [a["name"] for a in data["authors"]] == ["Ada Lovelace", "Alan Turing"]
    assert {"title", "authors", "categories", "year", "arxiv_id"} <= set(
        data["curator_edited_fields"]
    )
    # a harvested newer version does not overwrite what the curator typed
    paper_upsert(
        record=PaperRecord(
            title="Machine title",
            arxiv_id="2402.00002",
            arxiv_version=2,
            abstract="From arXiv.",
            authors=[AuthorRecord("Somebody Else")],
        ),
        source=Paper.Source.ARXIV,
    )
    paper = Paper.objects.get(arxiv_id="2402.00002")
    assert paper.title == "Hand-entered paper"
    assert paper.abstract == "From arXiv."
    assert paper.author_names == "Ada Lovelace; Alan Turing"
    assert phase.pk  # the taxonomy is untouched by paper writes


def test_adding_an_existing_paper_returns_it_without_a_duplicate(curator_api) -> None:
    existing = PaperFactory(arxiv_id="2403.00003", abstract="")

    response = curator_api.post(
        URL, {"title": "Same paper", "arxiv_id": "2403.00003", "abstract": "Filled."}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["id"] == existing.pk
    assert Paper.objects.count() == 1
    existing.refresh_from_db()
    assert existing.abstract == "Filled."  # it only gained what it lacked
    assert existing.title != "Same paper"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "title"),
        ({"title": "   "}, "title"),
        ({"title": "---"}, "title"),
        ({"title": "X", "arxiv_id": "nope"}, "arxiv_id"),
        ({"title": "X", "doi": "nope"}, "doi"),
        ({"title": "X", "year": 3000}, "year"),
        ({"title": "X", "status": "excluded"}, "status_reason"),
        ({"title": "X", "authors": "not a list"}, "authors"),
        ({"title": "nul \x00 char"}, "title"),
    ],
)
def test_invalid_papers_are_refused_with_400_and_nothing_written(
    curator_api, payload, field
) -> None:
    response = curator_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Paper.objects.count() == 0


def test_a_curator_edits_a_paper_and_ingestion_leaves_the_edit(curator_api) -> None:
    paper = PaperFactory(title="Old title", arxiv_id="2404.00004", authors=["A One", "B Two"])

    response = curator_api.patch(
        f"{URL}{paper.pk}/",
        {"title": "Corrected title", "authors": ["B Two", "A One", "C Three"]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["title"] == "Corrected title"
    assert [a["name"] for a in response.json()["authors"]] == ["B Two", "A One", "C Three"]
    paper.refresh_from_db()
    assert {"title", "authors"} <= set(paper.curator_edited_fields)
    assert paper.title_key == "corrected title"
    paper_upsert(
        record=PaperRecord(
            title="Harvested title",
            arxiv_id="2404.00004",
            arxiv_version=5,
            authors=[AuthorRecord("Z Other")],
        ),
        source=Paper.Source.ARXIV,
    )
    paper.refresh_from_db()
    assert paper.title == "Corrected title"
    assert list(
        Authorship.objects.filter(paper=paper)
        .order_by("position")
        .values_list("author__name", flat=True)
    ) == ["B Two", "A One", "C Three"]


def test_a_curator_moves_a_paper_between_inbox_included_and_excluded(curator_api, anon) -> None:
    paper = PaperFactory(status=Paper.Status.INBOX)
    detail = f"{URL}{paper.pk}/"

    assert curator_api.patch(detail, {"status": "excluded"}, format="json").status_code == 400
    excluded = curator_api.patch(
        detail, {"status": "excluded", "status_reason": "not about LLMs"}, format="json"
    )
    assert excluded.json()["status"] == "excluded"
    assert excluded.json()["status_reason"] == "not about LLMs"
    assert anon.get(detail).status_code == 404
    included = curator_api.patch(detail, {"status": "included"}, format="json")
    assert included.json()["status"] == "included"
    assert included.json()["included_at"] is not None
    assert anon.get(detail).status_code == 200
    back = curator_api.patch(detail, {"status": "inbox"}, format="json")
    assert back.json()["status"] == "inbox"
    assert anon.get(detail).status_code == 404


def test_an_edit_cannot_take_another_papers_identifier(curator_api) -> None:
    PaperFactory(arxiv_id="2405.00005", doi="10.1000/taken")
    paper = PaperFactory(arxiv_id="2405.00006")

    response = curator_api.patch(
        f"{URL}{paper.pk}/", {"arxiv_id": "2405.00005", "doi": "10.1000/TAKEN"}, format="json"
    )

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"arxiv_id", "doi"}
    paper.refresh_from_db()
    assert paper.arxiv_id == "2405.00006"


def test_a_full_update_and_a_delete(curator_api) -> None:
    paper = PaperFactory(title="To replace", venue="Old venue")

    put = curator_api.put(
        f"{URL}{paper.pk}/", {"title": "Replaced", "venue": "ICSE 2025"}, format="json"
    )
    assert put.status_code == 200
    assert (put.json()["title"], put.json()["venue"]) == ("Replaced", "ICSE 2025")
    assert curator_api.delete(f"{URL}{paper.pk}/").status_code == 204
    assert not Paper.objects.filter(pk=paper.pk).exists()


def test_the_fast_paper_rendering_equals_drfs_generic_rendering(rf):
    from rest_framework import serializers
    from rest_framework.request import Request

    from apps.papers.api.serializers import PaperSerializer
    from apps.papers.search import search_papers

    paper = PaperFactory(
        authors=["Ada Lovelace", "Alan Turing"],
        doi="10.1000/fast",
        arxiv_versions=[{"version": 1, "date": "2024-01-02T00:00:00+00:00"}, {"version": 2}],
        bibtex_fields={"note": "kept", "pages": "1--10"},
        curator_edited_fields=["title"],
        revised_at=datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC),
        venue="ICSE",
        kind=Paper.Kind.TOOL,
        code_url="https://example.org/code",
        cited_by_count=3,
        cited_by_as_of=datetime(2026, 11, 30, tzinfo=UTC).date(),
        references_outside=4,
    )
    paper.categories.add(CategoryFactory(code="cs.SE"))
    PlacementFactory(paper=paper, challenge=ChallengeFactory())
    Citation.objects.create(citing=paper, cited=PaperFactory())
    Citation.objects.create(citing=PaperFactory(), cited=paper)
    request = Request(rf.get("/api/v1/papers/"))
    found = search_papers(Paper.objects.filter(pk=paper.pk), "lovelace").get()
    serializer = PaperSerializer(found, context={"request": request})

    fast = serializer.data
    generic = serializers.Serializer.to_representation(serializer, found)

    assert fast == generic
    assert json.dumps(fast) == json.dumps(generic)  # the same types, too
    assert generic["relevance"] > 0
    assert generic["arxiv_versions"][1] == {"version": 2, "date": None}
    assert generic["cited_by_as_of"] == "2026-11-30"
    assert len(generic["references"]) == len(generic["cited_by"]) == 1
    assert set(generic) == set(PaperSerializer._declared_fields)


def test_page_loaders_answer_what_the_nested_serializers_declare(rf, curator_user):
    """Each relation field's rows, built from plain values for speed, equal the declared
    nested serializer run on model instances (so the shapes cannot drift apart)."""
    from rest_framework.request import Request

    from apps.papers.api.serializers import (
        AuthorshipSerializer,
        PaperBriefSerializer,
        PaperSerializer,
        PlacementBriefSerializer,
    )

    paper = PaperFactory(authors=["Ada Lovelace", "Alan Turing"])
    challenge = ChallengeFactory()
    PlacementFactory(paper=paper, challenge=challenge)
    PlacementFactory(paper=paper, direction=ResearchDirectionFactory(challenges=[challenge]))
    PlacementFactory(
        paper=paper,
        phase=PhaseFactory(),
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
        confidence=0.5,
    )
    Citation.objects.create(citing=paper, cited=PaperFactory())
    Citation.objects.create(citing=PaperFactory(), cited=paper)
    Authorship.objects.filter(paper=paper, position=1).update(affiliation="ETH")
    request = Request(rf.get("/api/v1/papers/"))
    request.user = curator_user  # every placement, suggestions included
    context = {"request": request}

    answer = PaperSerializer(paper, context=context).data

    def nested(serializer, rows):  # type: ignore[no-untyped-def]
        return [dict(row) for row in serializer(rows, many=True, context=context).data]

    authorships = paper.authorships.select_related("author").order_by("position")
    placements = paper.placements.order_by("phase__order", "id")
    assert answer["authors"] == nested(AuthorshipSerializer, authorships)
    assert answer["placements"] == nested(PlacementBriefSerializer, placements)
    assert len(answer["placements"]) == 3
    assert answer["references"] == nested(
        PaperBriefSerializer, [link.cited for link in paper.references.all()]
    )
    assert answer["cited_by"] == nested(
        PaperBriefSerializer, [link.citing for link in paper.cited_by.all()]
    )


def test_a_new_field_is_one_declaration(rf):
    """The fast rendering, the page loads and `?fields=` follow the declared fields."""
    from rest_framework import serializers
    from rest_framework.request import Request

    from apps.core.api.rows import PageRowsField
    from apps.papers.api.serializers import PaperSerializer

    loads = []

    def load_shouts(ids, context):
        loads.append(sorted(ids))
        return {
            pk: [f"#{pk}!"] for pk in Paper.objects.filter(pk__in=ids).values_list("pk", flat=True)
        }

    class Extended(PaperSerializer):
        title_key = serializers.CharField(read_only=True)
        shouts = PageRowsField(load_shouts)

    papers = PaperFactory.create_batch(3, title="Loud")
    request = Request(rf.get("/api/v1/papers/"))

    rows = Extended(papers, many=True, context={"request": request}).data
    trimmed = Extended(
        papers, many=True, context={"request": request, "selected_fields": ["id", "title_key"]}
    ).data

    assert [row["shouts"] for row in rows] == [[f"#{p.pk}!"] for p in papers]
    assert [row["title_key"] for row in rows] == ["loud"] * 3
    assert loads == [sorted(p.pk for p in papers)]  # one load for the page, none when trimmed
    assert trimmed == [{"id": p.pk, "title_key": "loud"} for p in papers]


def test_search_pages_count_all_matches(anon):
    PaperFactory.create_batch(7, title="Fuzzing compilers")
    PaperFactory.create_batch(3, title="Something else")

    first = anon.get(URL, {"q": "fuzzing", "page_size": 3}).json()
    last = anon.get(URL, {"q": "fuzzing", "page_size": 3, "page": 3}).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (7, 3, None)
    assert "page=2" in first["next"]
    assert (last["count"], len(last["results"]), last["next"]) == (7, 1, None)
    assert anon.get(URL, {"q": "fuzzing", "page_size": 3, "page": 4}).status_code == 404
    nothing = anon.get(URL, {"q": "zzzunmatched"}).json()
    assert (nothing["count"], nothing["results"], nothing["next"]) == (0, [], None)


@pytest.mark.postgres
def test_the_search_tuning_is_in_place(anon):
    from django.db import connection

    PaperFactory(title="Fuzzing compilers")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstorage FROM pg_attribute WHERE attrelid = 'papers_paper'::regclass "
            "AND attname = 'search_vector'"
        )
        assert cursor.fetchone() == ("m",)  # MAIN: ranking never needs a TOAST lookup
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'papers_paper_search_included_gin'"
        )
        (definition,) = cursor.fetchone()
    # the public's searches (status = 'included') need no AND with the status index
    assert "USING gin (search_vector)" in definition
    assert "WHERE ((status)::text = 'included'::text)" in definition
    assert found(anon, q="fuzzing") == ["Fuzzing compilers"]
