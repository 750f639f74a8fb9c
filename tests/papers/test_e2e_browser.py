"""End to end in a real headless Chromium (Debian's package, driven by Playwright) against a
live server on the survey's seed data: browse home → phase → challenge → paper, search,
apply a facet, download BibTeX — with and without JavaScript, on a desktop and on a phone.

Screenshots land in test-artifacts/e2e/ (gitignored). Without /usr/bin/chromium these tests
skip locally and fail under CI=true (`require_service`).
"""

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

import bibtexparser
import pytest
import rispy
from django.core.cache import cache
from playwright.sync_api import expect

from apps.papers.models import Paper
from apps.papers.services.curation import placement_place
from apps.taxonomy.models import Challenge
from tests.conftest import require_service
from tests.factories import CategoryFactory, PaperFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHALLENGE = "benchmark-saturation-contamination"
LATEX_TITLE = r"$\tau$Bench: contamination-free evaluation of LLM agents"
TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class Site:
    """The live server's address and facts about its data, read before the browser starts."""

    url: str
    challenge_count: int
    survey_paper: int = 0  # the survey's own paper (arXiv 2506.23762)


@pytest.fixture
def site(survey, live_server) -> Site:  # type: ignore[no-untyped-def]
    """The seed plus what a curator would have done: contamination papers placed in their
    challenge, and one fully described arXiv paper with LaTeX in its title."""
    cache.clear()  # the live server shares this process's page cache
    challenge = Challenge.objects.get(slug=CHALLENGE)
    rich = PaperFactory(
        title=LATEX_TITLE,
        abstract=r"We measure agents with $\epsilon$-bounded error on unseen tasks.",
        authors=["Ada Lovelace", "Alan Turing", "Grace Hopper"],
        arxiv_id="2912.41045",  # 2912: a month no real arXiv id (or seed paper) has
        year=2024,
        doi="10.48550/arxiv.2912.41045",
    )
    rich.categories.add(CategoryFactory(code="cs.SE"), CategoryFactory(code="cs.CL"))
    papers = [rich, *Paper.objects.included().filter(title__icontains="contamination")]
    for paper in papers:
        placement_place(
            paper=paper,
            target=challenge,
            actor=None,
            evidence="Measures or mitigates train-test contamination.",
        )
    assert len(papers) >= 4
    # Facts the tests check pages against, read now: once Playwright's event loop runs, this
    # thread must not touch the ORM.
    return Site(
        url=live_server.url,
        challenge_count=Challenge.objects.count(),
        survey_paper=Paper.objects.get(arxiv_id="2506.23762").pk,
    )


@pytest.fixture
def browser(site):  # type: ignore[no-untyped-def]
    """A headless Chromium for one test, started after the data is in place (Playwright's
    event loop must not be running while the test thread uses the ORM)."""
    require_service(
        "Chromium", CHROMIUM.exists(), "apt-get install -y chromium provides /usr/bin/chromium"
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


class Shots:
    """Numbered screenshots of one test, kept as artifacts."""

    def __init__(self, name: str) -> None:
        self.directory = ARTIFACTS
        self.directory.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.count = 0

    def take(self, page, label: str) -> Path:  # type: ignore[no-untyped-def]
        self.count += 1
        path = self.directory / f"{self.name}-{self.count:02d}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5_000  # a real rendering, not an empty file
        return path


@pytest.fixture
def shots(request) -> Shots:  # type: ignore[no-untyped-def]
    # Parametrized names carry brackets and slashes ("…[/papers/]"): keep file names plain.
    name = re.sub(r"[^\w.-]+", "-", request.node.name.replace("test_", "", 1)).strip("-")
    return Shots(name)


def open_page(browser, **context_options: object) -> tuple:  # type: ignore[no-untyped-def]
    """A new browser context and page that record every request and every script error."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    return context, page, requests, errors


def results_count(page) -> int:  # type: ignore[no-untyped-def]
    heading = page.locator("#results-title").inner_text()
    return int(re.match(r"(\d+) papers?", heading).group(1))  # type: ignore[union-attr]


def test_browse_from_home_to_a_phase_a_challenge_and_a_paper(browser, site: Site, shots) -> None:  # type: ignore[no-untyped-def]
    context, page, requests, errors = open_page(browser, viewport={"width": 1280, "height": 900})

    page.goto(f"{site.url}/")
    assert page.locator("h1").inner_text() == "Software engineering for large language models"
    assert page.locator(".phase-card").count() == 6
    assert page.locator(".phase-card h3 a").all_inner_texts()[0] == "Requirements Engineering"
    # The stylesheet is served and applied: the brand colour comes from site.css.
    colour = page.evaluate("getComputedStyle(document.querySelector('.brand-name')).color")
    assert colour == "rgb(11, 92, 173)"
    shots.take(page, "home")

    page.locator(".phase-card").filter(has_text="Testing and Evaluation").get_by_role(
        "link", name="Testing and Evaluation"
    ).click()
    page.wait_for_url(f"{site.url}/phases/testing-evaluation/")
    assert page.locator("h1").inner_text() == "Testing and Evaluation"
    assert page.locator("#challenges .card").count() >= 4
    shots.take(page, "phase")

    page.locator("#challenges").get_by_role(
        "link", name="Benchmark contamination and saturation"
    ).first.click()
    page.wait_for_url(f"{site.url}/challenges/{CHALLENGE}/")
    assert page.locator("h1").inner_text() == "Benchmark contamination and saturation"
    assert page.locator(".paper-item").count() >= 4
    assert "Measures or mitigates train-test contamination." in page.locator("#papers").inner_text()
    shots.take(page, "challenge")

    page.get_by_role("link", name="τBench: contamination-free evaluation of LLM agents").click()
    page.wait_for_url(re.compile(rf"{re.escape(site.url)}/papers/\d+/$"))
    assert page.locator("h1").inner_text() == "τBench: contamination-free evaluation of LLM agents"
    assert "ϵ-bounded error" in page.locator(".abstract").inner_text()
    assert page.get_by_role("link", name="arXiv abstract page").get_attribute("href") == (
        "https://arxiv.org/abs/2912.41045"
    )
    assert page.locator("#bibtex-entry").inner_text().startswith("@misc{lovelace2024")
    assert page.get_by_role("button", name="Copy BibTeX").is_visible()  # JS enhancement on
    shots.take(page, "paper")

    page.get_by_role("link", name="Ada Lovelace").first.click()
    page.wait_for_url(re.compile(rf"{re.escape(site.url)}/authors/\d+/$"))
    assert page.locator("h1").inner_text() == "Ada Lovelace"
    shots.take(page, "author")

    assert errors == []
    assert all(url.startswith(site.url) for url in requests), "every asset is served by sellm"
    context.close()


def test_a_reference_manager_reads_the_survey_page_and_its_ris(browser, site: Site, shots) -> None:  # type: ignore[no-untyped-def]
    """What the Zotero connector reads in the browser: the citation_* tags of the rendered
    page (every author, in order), and the RIS download behind the page's link."""
    context, page, requests, errors = open_page(
        browser, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    five = ["Hongzhou Rao", "Yanjie Zhao", "Xinyi Hou", "Shenao Wang", "Haoyu Wang"]

    page.goto(f"{site.url}/papers/{site.survey_paper}/")
    tags = page.evaluate(
        "[...document.querySelectorAll('meta[name^=citation_]')].map(m => [m.name, m.content])"
    )
    assert [content for name, content in tags if name == "citation_author"] == five
    assert ["citation_arxiv_id", "2506.23762"] in tags
    assert ["citation_publication_date", "2025/06/30"] in tags
    assert page.locator(".authors a").all_inner_texts() == five
    assert page.locator(".badge-kind").inner_text() == "Survey"
    assert "source of this taxonomy" in page.locator(".curator-note").inner_text()
    shots.take(page, "survey-paper")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="RIS", exact=True).click()
    record = rispy.loads(Path(download_info.value.path()).read_text(encoding="utf-8"))[0]
    assert record["authors"] == [f"{n.split()[1]}, {n.split()[0]}" for n in five]
    assert record["type_of_reference"] == "UNPB"  # a preprint

    assert errors == []
    assert all(url.startswith(site.url) for url in requests)
    context.close()


def test_search_apply_a_facet_and_download_the_results_as_bibtex(  # type: ignore[no-untyped-def]
    browser, site: Site, shots
) -> None:
    context, page, requests, errors = open_page(
        browser, viewport={"width": 1280, "height": 900}, accept_downloads=True
    )

    page.goto(f"{site.url}/")
    page.get_by_label("Search papers").fill("contamination")
    page.get_by_label("Search papers").press("Enter")
    page.wait_for_url(re.compile(r"/papers/\?q=contamination$"))
    searched = results_count(page)
    assert searched >= 4
    assert page.locator("#facet-phase").is_visible()
    shots.take(page, "search")

    page.locator("#facet-year").get_by_label(re.compile("2024")).check()
    page.wait_for_url(re.compile("year=2024"))  # the facet form applies itself on change
    filtered = results_count(page)
    assert page.locator("#facet-year").get_by_label(re.compile("2024")).is_checked()
    assert 0 < filtered < searched
    assert page.get_by_role("link", name="Remove filter Year: 2024").is_visible()
    years = page.locator(".paper-year").all_inner_texts()
    assert years == ["2024"] * filtered
    shots.take(page, "facet")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these results as BibTeX").click()
    download = download_info.value
    body = Path(download.path()).read_text(encoding="utf-8")
    library = bibtexparser.parse_string(body)

    assert download.suggested_filename.endswith(".bib")
    assert len(library.entries) == filtered
    assert {e.fields_dict["year"].value for e in library.entries} == {"2024"}
    shots.take(page, "after-download")

    assert errors == []
    assert all(url.startswith(site.url) for url in requests)
    context.close()


def facet_counts(page, facet: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """A facet's values and their counts, as shown."""
    rows = page.locator(f"#facet-{facet} li:has(.facet-count)")
    labels = rows.locator(".facet-label").all_inner_texts()
    counts = rows.locator(".facet-count").all_inner_texts()
    return {label: int(count) for label, count in zip(labels, counts, strict=True)}


def page_fetches(requests: list[str], site: Site, query: str) -> list[str]:
    return [url for url in requests if url.startswith(f"{site.url}/papers/?") and query in url]


# No page.wait_for_function here: Playwright eval()s its predicate in the page, which the
# content security policy (no 'unsafe-eval') refuses; expect() and wait_for_url poll from outside.
MARK_THIS_DOCUMENT = "window.sellmTestMarker = 'still the first document'"
SAME_DOCUMENT = "window.sellmTestMarker === 'still the first document'"


def test_live_search_and_facets_update_the_page_in_place_and_back_restores(  # type: ignore[no-untyped-def]
    browser, site: Site, shots
) -> None:
    """Typing searches and ticking a facet swap the results and the facet counts without
    loading a new document; the address bar follows and Back walks the states back."""
    context, page, requests, errors = open_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(f"{site.url}/papers/")
    everything = results_count(page)
    years_before = facet_counts(page, "year")
    page.evaluate(MARK_THIS_DOCUMENT)

    search_box = page.locator("#q")
    search_box.click()
    search_box.press_sequentially("contamination", delay=40)
    page.wait_for_url(re.compile(r"/papers/\?q=contamination(&|$)"))
    searched = results_count(page)
    years_searched = facet_counts(page, "year")
    caret = page.evaluate("[document.activeElement.id, document.activeElement.selectionStart]")
    shots.take(page, "live-search")

    assert page.evaluate(SAME_DOCUMENT), "typing must not load a new page"
    assert 4 <= searched < everything
    assert years_searched != years_before, "the facet counts follow the search"
    assert sum(years_searched.values()) <= searched
    assert caret == ["q", len("contamination")], "focus and caret stay in the search box"
    assert page.get_by_role("status").inner_text() == page.locator("#results-title").inner_text()
    assert "contamination" in page.title()
    assert page_fetches(requests, site, "q=c&") == [], "a single letter does not search"
    assert len(page_fetches(requests, site, "q=")) < len("contamination") // 2, "debounced"

    page.locator("#facet-year").get_by_label(re.compile("2024")).check()
    page.wait_for_url(re.compile("year=2024"))
    filtered = results_count(page)
    focused = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    shots.take(page, "live-facet")

    assert page.evaluate(SAME_DOCUMENT), "a facet applies without loading a new page"
    assert 0 < filtered < searched
    assert page.locator(".paper-year").all_inner_texts() == ["2024"] * filtered
    assert page.get_by_role("link", name="Remove filter Year: 2024").is_visible()
    assert focused == ["year", "2024"], "the ticked checkbox keeps the keyboard focus"

    page.go_back()
    page.wait_for_url(lambda url: "year=" not in url)
    expect(page.locator("#results-title")).to_have_text(re.compile(rf"^{searched} "))
    assert not page.locator("#facet-year").get_by_label(re.compile("2024")).is_checked()
    assert facet_counts(page, "year") == years_searched

    page.go_back()
    page.wait_for_url(f"{site.url}/papers/")
    expect(page.locator("#results-title")).to_have_text(re.compile(rf"^{everything} "))
    assert search_box.input_value() == "", "the search box shows what the URL says"
    assert facet_counts(page, "year") == years_before
    assert page.evaluate(SAME_DOCUMENT), "Back restores in place too"

    assert errors == [], "no script error and no Content Security Policy violation"
    assert all(url.startswith(site.url) for url in requests)
    context.close()


def test_the_phase_page_filters_its_papers_in_place(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    context, page, _, errors = open_page(browser)
    page.goto(f"{site.url}/phases/testing-evaluation/")

    def count() -> int:
        text = page.locator("#phase-papers [data-live-count]").inner_text()
        return int(re.match(r"(\d+) papers?", text).group(1))  # type: ignore[union-attr]

    everything = count()
    page.evaluate(MARK_THIS_DOCUMENT)
    page.locator("#phase-q").press_sequentially("hallucination", delay=40)
    page.wait_for_url(re.compile(r"\?q=hallucination"))
    expect(page.locator("#phase-papers [data-live-count]")).to_contain_text("hallucination")

    assert page.evaluate(SAME_DOCUMENT), "the phase's filter applies without a page load"
    assert 0 < count() < everything
    assert errors == []
    context.close()


def test_live_search_falls_back_to_a_normal_page_load_when_the_fetch_fails(  # type: ignore[no-untyped-def]
    browser, site: Site
) -> None:
    context, page, _, _ = open_page(browser, viewport={"width": 1280, "height": 900})
    page.route(
        re.compile(r"/papers/\?"),
        lambda route: (
            route.abort() if route.request.resource_type == "fetch" else route.continue_()
        ),
    )
    page.goto(f"{site.url}/papers/")
    page.evaluate(MARK_THIS_DOCUMENT)

    page.locator("#q").fill("contamination")
    page.wait_for_url(re.compile(r"/papers/\?q=contamination(&|$)"))
    page.wait_for_load_state()

    assert not page.evaluate(SAME_DOCUMENT), "the browser navigated instead"
    assert results_count(page) >= 4
    assert page.locator("#q").input_value() == "contamination"
    context.close()


def test_a_slow_stale_search_never_overwrites_a_newer_one(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    """The answer for "contam" is held back until "contamination" has been shown: the older
    request is aborted, so its late answer cannot replace the newer results."""
    from playwright.sync_api import Error as PlaywrightError

    context, page, _, _ = open_page(browser, viewport={"width": 1280, "height": 900})
    held = []
    failed: list[str] = []

    def hold_the_first_search(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.resource_type == "fetch" and "q=contam&" in route.request.url:
            held.append(route)
        else:
            route.continue_()

    page.route(re.compile(r"/papers/\?"), hold_the_first_search)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(f"{site.url}/papers/")
    page.evaluate(MARK_THIS_DOCUMENT)

    page.locator("#q").press_sequentially("contam", delay=20)
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the first search was sent"
    page.locator("#q").press_sequentially("ination", delay=20)
    page.wait_for_url(re.compile(r"/papers/\?q=contamination(&|$)"))
    with contextlib.suppress(PlaywrightError):  # Playwright may refuse: the request is gone
        held[0].continue_()  # the late answer to the aborted request
    page.wait_for_timeout(500)

    assert page.evaluate(SAME_DOCUMENT)
    assert page.locator("#results-title").inner_text().endswith("for “contamination”")
    assert "q=contamination" in page.url
    assert any("q=contam&" in url for url in failed), "the stale request was aborted"
    context.close()


def test_everything_works_without_javascript(browser, site: Site, shots) -> None:  # type: ignore[no-untyped-def]
    context, page, _, _ = open_page(
        browser, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )

    page.goto(f"{site.url}/papers/?q=contamination")
    before = results_count(page)
    page.locator("#facet-phase").get_by_label(re.compile("Testing and Evaluation")).check()
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile("phase=testing-evaluation"))
    after = results_count(page)
    shots.take(page, "facet-without-js")

    page.goto(f"{site.url}/gaps/")
    assert page.locator("table.heatmap tbody tr").count() == 6 + site.challenge_count
    assert page.locator("figure.chart svg polyline").count() == 6
    shots.take(page, "gap-map")

    page.goto(f"{site.url}/papers/?q=contamination")
    page.locator(".paper-title a").first.click()
    assert not page.get_by_role("button", name="Copy BibTeX").is_visible()  # needs JS
    assert page.locator("#bibtex-entry").inner_text().startswith("@")  # still selectable

    assert 0 < after <= before
    context.close()


@pytest.mark.parametrize(
    "path", ["/", "/papers/?q=contamination", f"/challenges/{CHALLENGE}/", "/gaps/", "/about/"]
)
def test_pages_fit_a_phone_screen(browser, site: Site, shots, path: str) -> None:  # type: ignore[no-untyped-def]
    context, page, _, errors = open_page(
        browser,
        viewport={"width": 375, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )

    page.goto(f"{site.url}{path}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    shots.take(page, "phone")

    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert errors == []
    context.close()


def test_keyboard_users_can_skip_to_the_content(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    context, page, _, _ = open_page(browser, viewport={"width": 1280, "height": 900})

    page.goto(f"{site.url}/papers/")
    page.keyboard.press("Tab")
    first_stop = page.evaluate("document.activeElement.textContent.trim()")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    after_skip = page.evaluate("document.activeElement.closest('main') !== null")

    assert first_stop == "Skip to the content"
    assert after_skip, "after the skip link, the next Tab lands inside <main>"
    context.close()


def test_the_api_docs_and_the_curator_admin_run_under_the_content_security_policy(
    curator, browser, site: Site, shots
) -> None:  # type: ignore[no-untyped-def]
    """Chromium enforces the CSP header: an inline script would be refused (and reported),
    leaving Swagger UI blank or an admin widget dead."""
    context, page, _, errors = open_page(browser, viewport={"width": 1280, "height": 900})

    page.goto(f"{site.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=TIMEOUT_MS)
    assert page.locator(".opblock").count() > 20
    shots.take(page, "api-docs")

    page.goto(f"{site.url}/admin/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "curator-pass")
    page.click("input[type=submit]")
    page.goto(f"{site.url}/admin/papers/paper/?status__exact=included")
    page.locator("#result_list tbody a").first.click()
    page.wait_for_selector("#paper_form")
    # The placement inline's "add another" button is admin JavaScript: it must work.
    page.locator("#placements-group .add-row a").click()
    assert page.locator("#placements-group tr.form-row.dynamic-placements").count() >= 1
    shots.take(page, "admin-paper")

    assert [e for e in errors if "Content Security Policy" in e or "Refused" in e] == []
    context.close()


def test_the_query_language_in_the_search_box(browser, site: Site) -> None:  # type: ignore[no-untyped-def]
    """Issue 13 as a reader meets it: exclusions narrow, an author prefix finds the survey,
    a malformed query says what to fix and keeps the box to fix it in."""
    context, page, _, errors = open_page(browser, viewport={"width": 1280, "height": 900})

    page.goto(f"{site.url}/papers/?q=language")
    language = results_count(page)
    page.goto(f"{site.url}/papers/?q=language+-survey")
    assert 0 < results_count(page) < language

    page.goto(f"{site.url}/")
    page.get_by_label("Search papers").fill("author:Rao")
    page.get_by_label("Search papers").press("Enter")
    expect(page.locator(".paper-list")).to_contain_text("Software Engineering for Large Language")

    page.locator("summary", has_text="How to search").click()
    expect(page.locator("#search-help")).to_contain_text("year:2021..2024")

    page.goto(f"{site.url}/papers/?q=%22unclosed")
    expect(page.get_by_role("alert")).to_contain_text("is not closed")
    box = page.get_by_label("Correct the search")
    expect(box).to_have_value('"unclosed')
    box.fill('"test oracle"')
    box.press("Enter")
    page.wait_for_url(re.compile(r"q=%22test"))
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("#results-title")).to_contain_text('“"test oracle"”')

    # The malformed query's page is a 400 (the browser logs it); nothing else went wrong.
    assert [e for e in errors if "status of 400" not in e] == []
    context.close()
