"""End to end in a real headless Chromium: a curator filters the paper list, freezes it into a
listing, downloads its three exports, edits a paper in the admin (the listing's page and
exports stay as frozen), includes another paper and freezes again (version 2 shows the
difference). And the PRISMA page renders its SVG without JavaScript."""

import json
import re
from dataclasses import dataclass

import bibtexparser
import pytest
import rispy
from django.core.cache import cache
from playwright.sync_api import expect

from apps.core.bibliography.fields import display_text
from apps.core.services import curator_create
from apps.papers.models import Paper
from tests.conftest import require_service
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory
from tests.papers.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, Shots, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FROZEN = ["Metamorphic test oracles for LLMs", "Oracles from specifications", "Learning oracles"]


@dataclass(frozen=True)
class World:
    url: str
    edited_pk: int
    waiting_pk: int


@pytest.fixture
def world(live_server) -> World:  # type: ignore[no-untyped-def]
    cache.clear()
    phase = PhaseFactory(slug="testing", name="Testing and evaluation")
    challenge = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles")
    papers = [
        PaperFactory(title=title, authors=["Ada Lovelace", "Alan Turing"]) for title in FROZEN
    ]
    for paper in papers:
        PlacementFactory(paper=paper, challenge=challenge)
    waiting = PaperFactory(title="A newer oracle paper", status=Paper.Status.INBOX)
    PlacementFactory(paper=waiting, challenge=challenge)
    PlacementFactory(paper=PaperFactory(title="Serving cost"), phase=phase)
    curator_create(username="curator", email="c@example.org", password="curator-pass")
    return World(live_server.url, papers[0].pk, waiting.pk)


@pytest.fixture
def browser(world):  # type: ignore[no-untyped-def]
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


def sign_in(page, url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/admin/login/")
    page.fill("#id_username", "curator")
    page.fill("#id_password", "curator-pass")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def freeze(page, url: str, title: str) -> str:  # type: ignore[no-untyped-def]
    """Filter the paper list by the challenge facet (a live update) and freeze it."""
    page.goto(f"{url}/papers/")
    page.locator('#facet-challenge input[value="oracles"]').check()
    page.wait_for_url(re.compile(r"/papers/\?challenge=oracles(&ordering=-published)?$"))
    expect(page.locator("#results-title")).to_contain_text("papers")
    page.locator("#freeze summary").click()
    # The freeze form was swapped in with the results: it carries the list's query.
    expect(page.locator('#freeze input[name="query"]')).to_have_value(
        re.compile(r"^challenge=oracles(&ordering=-published)?$")
    )
    page.fill("#freeze-title", title)
    page.fill("#freeze-description", "Papers on test oracles for LLMs.")
    page.click("#freeze button[type=submit]")
    page.wait_for_url(re.compile(r"/listings/[\w-]+/$"))
    return page.url


def exports(page, listing_url: str) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """The titles in each export, read as a reference manager would."""
    bib = page.request.get(listing_url + "export.bib").text()
    ris = page.request.get(listing_url + "export.ris").text()
    csl = page.request.get(listing_url + "export.json").text()
    return {
        "bibtex": sorted(
            display_text(e.fields_dict["title"].value)
            for e in bibtexparser.parse_string(bib).entries
        ),
        "ris": sorted(r["title"] for r in rispy.loads(ris)),
        "csl": sorted(item["title"] for item in json.loads(csl)),
    }


def page_titles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(page.locator(".frozen-papers .paper-title").all_inner_texts())


def test_a_curator_freezes_a_filtered_list_and_freezes_it_again(browser, world: World) -> None:  # type: ignore[no-untyped-def]
    shots = Shots("listing-freeze")
    context, page, _, _ = open_page(browser, viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(f"{m.text} {m.location['url']}")
            # the admin's pages link no icon, so the browser asks for /favicon.ico
            if m.type == "error" and not m.location["url"].endswith("/favicon.ico")
            else None
        ),
    )
    sign_in(page, world.url)

    first_url = freeze(page, world.url, "Test oracles")
    shots.take(page, "frozen")
    expect(page.locator("h1")).to_have_text("Test oracles")
    expect(page.locator("[data-paper-count]")).to_have_text("3 papers")
    assert page_titles(page) == sorted(FROZEN)
    assert exports(page, first_url) == dict.fromkeys(("bibtex", "ris", "csl"), sorted(FROZEN))
    expect(page.locator(".bibtex-sample")).to_contain_text(f"url = {{{first_url}}}")

    # A curator edits a paper afterwards: the listing stays as frozen.
    page.goto(f"{world.url}/admin/papers/paper/{world.edited_pk}/change/")
    page.fill("#id_title", "Renamed after the freeze")
    page.click('input[name="_save"]')
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    page.goto(first_url)
    assert page_titles(page) == sorted(FROZEN)
    assert exports(page, first_url) == dict.fromkeys(("bibtex", "ris", "csl"), sorted(FROZEN))

    # Another paper is included; the same list frozen again is version 2, with the difference.
    # (with the admin's "include" action: the change form's status field cannot include a
    # paper on main today — it does not set included_at; that is the admin's own issue)
    page.goto(f"{world.url}/admin/papers/paper/?status__exact=inbox")
    page.check(f'input[name="_selected_action"][value="{world.waiting_pk}"]')
    page.select_option('select[name="action"]', "include_papers")
    page.click('button[name="index"]')
    expect(page.locator(".messagelist")).to_contain_text("1")
    page.goto(first_url)
    expect(page.locator("#against-live + .difference")).to_contain_text("A newer oracle paper")

    second_url = freeze(page, world.url, "Test oracles")
    shots.take(page, "version-2")
    assert second_url == first_url.rstrip("/") + "-v2/"
    expect(page.locator(".kicker")).to_contain_text("version 2")
    expect(page.locator("#since-previous + .difference")).to_contain_text("1 added")
    expect(page.locator("#since-previous + .difference")).to_contain_text("A newer oracle paper")
    expect(page.locator(".versions")).to_contain_text("Version 1")
    assert "Renamed after the freeze" in page_titles(page)
    page.goto(first_url)
    expect(page.locator(".versions a", has_text="Version 2")).to_have_attribute(
        "href", re.compile(r"-v2/$")
    )
    assert errors == []
    context.close()


def test_the_prisma_page_draws_its_flow_without_javascript(browser, world: World) -> None:  # type: ignore[no-untyped-def]
    shots = Shots("prisma")
    context, page, _, errors = open_page(
        browser, viewport={"width": 1280, "height": 900}, java_script_enabled=False
    )
    page.goto(f"{world.url}/prisma/")
    shots.take(page, "flow")

    svg = page.locator("svg.prisma-svg")
    expect(svg).to_be_visible()
    expect(svg.locator("text", has_text="Records screened")).to_have_count(1)
    expect(page.locator('[data-figure="included"]')).to_have_text("4")
    assert errors == []
    context.close()
