"""The researchers' paper pages: home, search with facets, paper, author, gap map, BibTeX
download — what they show, what they hide, and how they answer bad input."""

import re
from html import unescape

import bibtexparser
import pytest
from django.core.cache import cache
from django.test import Client

from apps.papers.models import Author, Paper, Placement
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible text, roughly: tags dropped, entities decoded, spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def listed_titles(response) -> list[str]:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    titles = re.findall(r'<h3 class="paper-title"><a href="/papers/\d+/">(.*?)</a>', html)
    return [unescape(t) for t in titles]


@pytest.fixture
def taxonomy():  # type: ignore[no-untyped-def]
    testing = PhaseFactory(slug="testing", order=4, name="Testing and Evaluation")
    deploying = PhaseFactory(slug="deploying", order=5, name="Deployment")
    oracle = ChallengeFactory(phase=testing, slug="oracles", name="Test oracles")
    contamination = ChallengeFactory(phase=testing, slug="contamination", name="Contamination")
    cost = ChallengeFactory(phase=deploying, slug="serving-cost", name="Serving cost")
    return {
        "testing": testing,
        "deploying": deploying,
        "oracle": oracle,
        "contamination": contamination,
        "cost": cost,
    }


# --- home ------------------------------------------------------------------------------------


def test_home_lists_the_phases_in_order_with_their_counts(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    ResearchDirectionFactory(phase=taxonomy["testing"], status="open")
    ResearchDirectionFactory(phase=taxonomy["testing"], status="active")
    a, b = PaperFactory(), PaperFactory()
    PlacementFactory(paper=a, challenge=taxonomy["oracle"])
    PlacementFactory(paper=a, phase=taxonomy["testing"])  # same paper twice: counted once
    PlacementFactory(paper=b, challenge=taxonomy["cost"])
    hidden = PaperFactory(status=Paper.Status.INBOX)
    PlacementFactory(paper=hidden, phase=taxonomy["testing"])

    response = client.get("/")
    page = text_of(response)

    assert response.status_code == 200
    assert page.index("Testing and Evaluation") < page.index("Deployment")
    assert (
        "Testing and Evaluation What this phase is about. Papers 1 Challenges 2 Open "
        "directions 1" in page
    )
    assert "Deployment What this phase is about. Papers 1 Challenges 1 Open directions 0" in page
    assert 'action="/papers/"' in response.content.decode()  # the search box


def test_home_shows_the_newest_additions_first_and_never_the_inbox(client: Client) -> None:
    older = PaperFactory(title="Older inclusion")
    newer = PaperFactory(title="Newer inclusion")
    Paper.objects.filter(pk=older.pk).update(included_at=newer.included_at.replace(year=2020))
    PaperFactory(title="Still in the inbox", status=Paper.Status.INBOX)

    titles = listed_titles(client.get("/"))

    assert titles == ["Newer inclusion", "Older inclusion"]


def test_a_batch_included_at_once_shows_its_newest_research_across_phases(
    client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    """The seed (or a day's harvest) is included in one go: within that day the papers' own
    dates order the list, so it is not the batch's last rows, all from one phase."""
    from django.utils import timezone

    batch = timezone.now()
    for year, target, title in (
        (2025, taxonomy["oracle"], "Testing, newest"),
        (2021, taxonomy["oracle"], "Testing, old"),
        (2024, taxonomy["cost"], "Serving, recent"),
        (2019, taxonomy["cost"], "Serving, oldest"),
    ):
        paper = paper_of(year, title=title)
        PlacementFactory(paper=paper, challenge=target)
        Paper.objects.filter(pk=paper.pk).update(included_at=batch)

    titles = listed_titles(client.get("/"))

    assert titles == ["Testing, newest", "Serving, recent", "Testing, old", "Serving, oldest"]


# --- paper list ------------------------------------------------------------------------------


def test_search_uses_the_shared_filterset(client: Client) -> None:
    PaperFactory(title="Metamorphic testing of code models")
    PaperFactory(title="Serving LLMs cheaply")

    response = client.get("/papers/", {"q": "metamorphic"})

    assert response.status_code == 200
    assert listed_titles(response) == ["Metamorphic testing of code models"]
    assert "1 paper for “metamorphic”" in text_of(response)


def test_filters_combine_and_facets_count_the_other_filters(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    se, lg = CategoryFactory(code="cs.SE"), CategoryFactory(code="cs.LG")
    a = PaperFactory(title="A oracle 2023", year=2023)
    b = PaperFactory(title="B oracle 2024", year=2024)
    c = PaperFactory(title="C contamination 2024", year=2024)
    d = PaperFactory(title="D cost 2024", year=2024)
    for paper, challenge in ((a, "oracle"), (b, "oracle"), (c, "contamination"), (d, "cost")):
        PlacementFactory(paper=paper, challenge=taxonomy[challenge])
    a.categories.add(se)
    b.categories.add(se, lg)
    c.categories.add(lg)
    pending = PaperFactory(title="E pending", year=2024)
    PlacementFactory(paper=pending, challenge=taxonomy["oracle"], review_state="pending")

    response = client.get("/papers/", {"phase": "testing", "year": "2024"})
    facets = {facet.name: facet for facet in response.context["facets"]}

    assert sorted(listed_titles(response)) == ["B oracle 2024", "C contamination 2024"]
    # Phase counts ignore the phase filter (so other phases can be added) but keep the year.
    assert {v.value: v.count for v in facets["phase"].values} == {"testing": 2, "deploying": 1}
    assert [v.value for v in facets["phase"].values if v.selected] == ["testing"]
    # Year counts keep the phase filter: 2023 has one Testing paper, 2024 two.
    assert {v.value: v.count for v in facets["year"].values} == {"2023": 1, "2024": 2}
    assert {v.value: v.count for v in facets["challenge"].values} == {
        "oracles": 1,
        "contamination": 1,
    }
    assert {v.value: v.count for v in facets["category"].values} == {"cs.SE": 1, "cs.LG": 2}

    response = client.get("/papers/", {"phase": "testing", "year": "2024", "category": "cs.SE"})
    assert listed_titles(response) == ["B oracle 2024"]


def test_two_values_of_one_facet_mean_either(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    for name in ("oracle", "contamination", "cost"):
        PlacementFactory(paper=PaperFactory(title=f"On {name}"), challenge=taxonomy[name])

    response = client.get("/papers/?challenge=oracles&challenge=serving-cost&ordering=title")

    assert listed_titles(response) == ["On cost", "On oracle"]


def test_sorting_by_title_and_by_date(client: Client) -> None:
    from datetime import UTC, datetime

    PaperFactory(title="Beta", published_at=datetime(2021, 1, 1, tzinfo=UTC))
    PaperFactory(title="Alpha", published_at=datetime(2020, 1, 1, tzinfo=UTC))
    PaperFactory(title="Gamma", published_at=datetime(2022, 1, 1, tzinfo=UTC))

    assert listed_titles(client.get("/papers/?ordering=title")) == ["Alpha", "Beta", "Gamma"]
    assert listed_titles(client.get("/papers/?ordering=published")) == ["Alpha", "Beta", "Gamma"]
    assert listed_titles(client.get("/papers/")) == ["Gamma", "Beta", "Alpha"]


def test_pagination_walks_every_paper_once_and_keeps_the_filters(client: Client) -> None:
    for i in range(45):
        PaperFactory(title=f"Paper {i:02d}", year=2024)
    PaperFactory(title="Other year", year=2020)

    seen: list[str] = []
    for number in (1, 2, 3):
        response = client.get("/papers/", {"year": "2024", "ordering": "title", "page": number})
        assert response.status_code == 200
        seen += listed_titles(response)
    first_page = client.get("/papers/?year=2024&ordering=title").content.decode()

    assert seen == [f"Paper {i:02d}" for i in range(45)]
    assert 'href="?year=2024&amp;ordering=title&amp;page=2"' in first_page
    assert "Page 1 of 3" in first_page


def test_a_page_past_the_end_is_a_404_that_says_how_many_pages_there_are(
    client: Client,
) -> None:
    PaperFactory()

    response = client.get("/papers/?page=7")
    not_a_number = client.get("/papers/?page=last")

    assert response.status_code == 404
    assert "There is no page 7: this list has 1 page." in text_of(response)
    assert not_a_number.status_code == 404


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("year=abc", "Enter a whole number"),
        ("phase=no-such-phase", "no-such-phase"),
        ("ordering=sideways", "sideways"),
        ("q=" + "x" * 600, "at most 500 characters"),
    ],
)
def test_bad_filters_get_a_400_page_that_says_what_is_wrong(
    client: Client, query: str, message: str
) -> None:
    response = client.get(f"/papers/?{query}")

    assert response.status_code == 400
    assert message in text_of(response)
    heading = "This search could not be understood" if query.startswith("q=") else "filters"
    assert heading in text_of(response)


def test_filters_without_a_facet_control_are_kept_and_shown(client: Client) -> None:
    direction = ResearchDirectionFactory(slug="metamorphic")
    PlacementFactory(paper=PaperFactory(title="Placed in the direction"), direction=direction)
    PaperFactory(title="Elsewhere")

    response = client.get("/papers/?direction=metamorphic")
    html = response.content.decode()

    assert listed_titles(response) == ["Placed in the direction"]
    assert '<input type="hidden" name="direction" value="metamorphic">' in html
    assert 'aria-label="Remove filter direction: metamorphic"' in html


def test_the_bibtex_link_keeps_the_current_filters(client: Client) -> None:
    PaperFactory(title="Kept")

    html = client.get("/papers/?q=kept&year=2024&page=1").content.decode()

    assert 'href="/papers/bibtex/?q=kept&amp;year=2024"' in html


# --- BibTeX download -------------------------------------------------------------------------


def test_bibtex_download_streams_exactly_the_filtered_papers(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    wanted = PaperFactory(title="Oracles for LLM output", authors=["Ada Lovelace"], year=2024)
    PlacementFactory(paper=wanted, challenge=taxonomy["oracle"])
    PlacementFactory(paper=PaperFactory(title="Not on oracles"), challenge=taxonomy["cost"])
    hidden = PaperFactory(title="Oracle paper in the inbox", status=Paper.Status.INBOX)
    PlacementFactory(paper=hidden, challenge=taxonomy["oracle"])

    response = client.get("/papers/bibtex/?challenge=oracles")
    body = b"".join(response.streaming_content).decode()
    library = bibtexparser.parse_string(body)

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="sellm-papers-')
    # {LLM}: the acronym is protected from sentence-case styles
    assert [e.fields_dict["title"].value for e in library.entries] == ["Oracles for {LLM} output"]
    assert library.entries[0].fields_dict["author"].value == "Ada Lovelace"


def test_bibtex_download_with_bad_filters_is_a_400(client: Client) -> None:
    response = client.get("/papers/bibtex/?year=abc")

    assert response.status_code == 400
    assert "Cannot export these results" in response.content.decode()


# --- paper page ------------------------------------------------------------------------------


def test_paper_page_shows_everything_a_reader_needs(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(
        title="Metamorphic testing of LLMs",
        abstract="We test models.",
        authors=["Ada Lovelace", "Alan Turing"],
        arxiv_id="2401.00001",
        arxiv_version=2,
        arxiv_versions=[
            {"version": 1, "date": "2024-01-02T10:00:00+00:00"},
            {"version": 2, "date": "2024-03-04T10:00:00+00:00"},
        ],
        doi="10.1145/1234.5678",
        journal_ref="ICSE 2025",
        venue="International Conference on Software Engineering",
        primary_category="cs.SE",
    )
    paper.categories.add(CategoryFactory(code="cs.LG"), CategoryFactory(code="cs.SE"))
    PlacementFactory(
        paper=paper,
        challenge=taxonomy["oracle"],
        origin=Placement.Origin.SURVEY,
        evidence="Section 5 cites it for oracles.",
    )
    PlacementFactory(
        paper=paper,
        challenge=taxonomy["cost"],
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
        evidence="A machine guessed this.",
    )
    ada = Author.objects.get(name="Ada Lovelace")

    response = client.get(f"/papers/{paper.pk}/")
    html = response.content.decode()
    page = text_of(response)

    assert response.status_code == 200
    assert '<h1 id="paper-title">Metamorphic testing of LLMs</h1>' in html
    assert f'href="/authors/{ada.pk}/">Ada Lovelace</a>' in html
    assert 'href="https://arxiv.org/abs/2401.00001"' in html
    assert 'href="https://doi.org/10.1145/1234.5678"' in html
    assert ".pdf" not in html
    assert "v1 2 Jan 2024" in page
    assert "v2 4 Mar 2024" in page
    assert "ICSE 2025" in page
    assert "International Conference on Software Engineering" in page
    assert page.index("cs.SE (primary)") < page.index("cs.LG")
    assert "We test models." in page
    # Placements: the accepted one with its provenance; never the pending suggestion.
    assert "Test oracles" in page
    assert "Placed by: Survey" in page
    assert "Section 5 cites it for oracles." in page
    assert "A machine guessed this." not in page
    assert "Serving cost" not in page
    # A copyable BibTeX entry that parses.
    entry = re.search(r'<pre id="bibtex-entry"[^>]*><code>(.*?)</code></pre>', html, re.S)
    assert entry is not None
    library = bibtexparser.parse_string(unescape(entry.group(1)))
    assert library.entries[0].fields_dict["eprint"].value == "2401.00001"
    assert library.entries[0].fields_dict["doi"].value == "10.1145/1234.5678"


def test_related_papers_share_challenges_most_shared_first(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    paper = PaperFactory(title="The paper")
    both = PaperFactory(title="Shares two")
    one = PaperFactory(title="Shares one")
    PaperFactory(title="Shares none")
    hidden = PaperFactory(title="Hidden sharer", status=Paper.Status.EXCLUDED)
    for challenge in ("oracle", "contamination"):
        PlacementFactory(paper=paper, challenge=taxonomy[challenge])
        PlacementFactory(paper=both, challenge=taxonomy[challenge])
        PlacementFactory(paper=hidden, challenge=taxonomy[challenge])
    PlacementFactory(paper=one, challenge=taxonomy["oracle"])

    response = client.get(f"/papers/{paper.pk}/")

    assert listed_titles(response) == ["Shares two", "Shares one"]


@pytest.mark.parametrize("status", [Paper.Status.INBOX, Paper.Status.EXCLUDED])
def test_papers_the_public_may_not_see_are_404(client: Client, status: str) -> None:
    paper = PaperFactory(status=status, title="Secret draft")

    response = client.get(f"/papers/{paper.pk}/")
    listing = client.get("/papers/")

    assert response.status_code == 404
    assert "Secret draft" not in response.content.decode()
    assert "Secret draft" not in listing.content.decode()


def test_unknown_paper_and_author_ids_are_helpful_404s(client: Client) -> None:
    paper = client.get("/papers/987654/")
    author = client.get("/authors/987654/")

    assert paper.status_code == 404
    assert "There is no paper with id 987654" in text_of(paper)
    assert 'action="/papers/"' in paper.content.decode()  # a way back in
    assert author.status_code == 404
    assert "There is no author with id 987654" in text_of(author)


# --- author page -----------------------------------------------------------------------------


def test_author_page_lists_their_public_papers_only(client: Client) -> None:
    PaperFactory(title="Public work", authors=["Grace Hopper", "Someone Else"])
    PaperFactory(title="Draft work", authors=["Grace Hopper"], status=Paper.Status.INBOX)
    grace = Author.objects.get(name="Grace Hopper")

    response = client.get(f"/authors/{grace.pk}/")

    assert response.status_code == 200
    assert listed_titles(response) == ["Public work"]
    assert re.search(r"1 paper in sellm(, \d{4})?\.", text_of(response))


def test_an_author_of_hidden_papers_only_is_not_disclosed(client: Client) -> None:
    PaperFactory(title="Draft", authors=["Hidden Person"], status=Paper.Status.INBOX)
    hidden = Author.objects.get(name="Hidden Person")
    AuthorFactory(name="No Papers At All")

    response = client.get(f"/authors/{hidden.pk}/")

    assert response.status_code == 404
    assert "Hidden Person" not in response.content.decode()


# --- gap map ---------------------------------------------------------------------------------


def paper_of(year: int, **fields: object) -> Paper:
    """A paper whose date agrees with its year (the factory dates every paper today)."""
    from datetime import UTC, datetime

    return PaperFactory(year=year, published_at=datetime(year, 3, 1, tzinfo=UTC), **fields)


def test_gap_map_counts_papers_per_challenge_and_year_and_flags_quiet_challenges(
    client: Client, taxonomy
) -> None:  # type: ignore[no-untyped-def]
    for year in (2025, 2025, 2022):
        PlacementFactory(paper=paper_of(year), challenge=taxonomy["oracle"])
    PlacementFactory(paper=paper_of(2021), challenge=taxonomy["contamination"])
    paper_of(2025)  # in the base, placed nowhere: counts in the year's total
    hidden = paper_of(2025, status=Paper.Status.INBOX)
    PlacementFactory(paper=hidden, challenge=taxonomy["contamination"])

    response = client.get("/gaps/")
    figures = response.context["figures"]
    rows = {row.slug: row for p in figures.phases for row in [p.row, *p.challenges]}
    quiet = {row.slug: row.flag for row in response.context["quiet"]}
    html = response.content.decode()

    assert response.status_code == 200
    assert figures.years[-1] == 2025  # the window ends with the newest paper
    assert {c.year: c.count for c in rows["oracles"].cells}[2025] == 2
    assert {c.year: c.share for c in rows["oracles"].cells}[2025] == pytest.approx(2 / 3, 1e-3)
    assert {c.year: c.count for c in rows["oracles"].cells}[2022] == 1
    assert rows["oracles"].total == 3
    assert rows["testing"].total == 4  # the phase row: every paper placed in the phase
    assert rows["contamination"].recent == 0  # the inbox paper does not count
    # Contamination's phase has recent papers: flagged. Serving cost's phase has none: not.
    assert quiet == {"contamination": "no-recent-work"}
    assert "67%" in html
    assert '<svg viewBox="0 0 720 320" role="img"' in html  # the chart, drawn server-side
    assert html.count("<polyline") == 2  # one line per phase
    assert "<script" not in html.split("</head>")[1]  # readable without JavaScript


def test_gap_map_ends_at_the_newest_paper_and_says_so(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    newest = PaperFactory(year=2024, published_at=datetime(2024, 6, 30, tzinfo=UTC))
    PlacementFactory(paper=newest, challenge=taxonomy["oracle"])
    PlacementFactory(paper=paper_of(2023), challenge=taxonomy["cost"])

    response = client.get("/gaps/")
    figures = response.context["figures"]
    text = " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())

    assert figures.years[-1] == 2024  # no empty columns for the years after it
    assert figures.partial_year == 2024
    assert "the newest paper in sellm is from 30 June 2024" in text
    assert "2024 to 30 Jun" in text
    assert "2025" not in text.split("Papers per challenge and year", 1)[1]


def test_a_thin_challenge_is_flagged_against_its_phase(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    for _ in range(12):
        PlacementFactory(paper=paper_of(2025), challenge=taxonomy["oracle"])
    PlacementFactory(paper=paper_of(2025), challenge=taxonomy["contamination"])

    quiet = {r.slug: r.flag for r in client.get("/gaps/").context["quiet"]}

    assert quiet == {"contamination": "thin"}  # 1 of the phase's 13 recent papers


def test_the_gap_figures_are_in_the_api(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        PlacementFactory(paper=paper_of(2025), challenge=taxonomy["oracle"])
    PlacementFactory(paper=paper_of(2021), challenge=taxonomy["contamination"])

    data = client.get("/api/v1/gaps/").json()

    assert data["coverage"]["newest_paper"].startswith("2025")
    assert data["coverage"]["years"][-1] == 2025
    assert data["year_totals"] == {"2021": 1, "2025": 2}
    testing = next(p for p in data["phases"] if p["slug"] == "testing")
    assert testing["recent"] == 2
    by_slug = {c["slug"]: c for c in testing["challenges"]}
    assert by_slug["oracles"]["years"][-1] == {"year": 2025, "count": 2, "share": 1.0}
    assert by_slug["contamination"]["flag"] == "no-recent-work"
    assert by_slug["oracles"]["flag"] is None


def test_a_phase_with_too_few_recent_papers_flags_no_challenge(client: Client, taxonomy) -> None:  # type: ignore[no-untyped-def]
    PlacementFactory(paper=paper_of(2025), challenge=taxonomy["oracle"])  # 1 paper, 2 challenges
    PlacementFactory(paper=paper_of(2021), challenge=taxonomy["contamination"])

    assert client.get("/gaps/").context["quiet"] == []
