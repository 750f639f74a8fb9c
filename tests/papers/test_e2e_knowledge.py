"""In a real headless Chromium: the curator's inbox (accept a suggestion and include the
paper), the gap map's coverage and flags, and the project's own 404 page served by the
embedded default exactly as `make run` starts it (DEBUG off, no variables set)."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from apps.core.services import curator_create
from apps.papers.models import Paper, Placement
from tests.conftest import require_service
from tests.factories import ChallengeFactory, PaperFactory, PhaseFactory, PlacementFactory
from tests.papers.test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Shots

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]
expect.set_options(timeout=TIMEOUT_MS)


def chromium():  # type: ignore[no-untyped-def]
    require_service(
        "Chromium", CHROMIUM.exists(), "apt-get install -y chromium provides /usr/bin/chromium"
    )
    from playwright.sync_api import sync_playwright

    return sync_playwright()


@pytest.fixture
def shots(request) -> Shots:  # type: ignore[no-untyped-def]
    return Shots(request.node.name.replace("test_", "", 1))


def test_a_curator_accepts_a_suggestion_and_the_paper_goes_public(live_server, shots) -> None:  # type: ignore[no-untyped-def]
    cache.clear()
    phase = PhaseFactory(slug="testing", order=1, name="Testing and Evaluation")
    challenge = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles")
    paper = PaperFactory(
        title="Metamorphic relations as oracles for chat models",
        abstract="Paraphrased prompts should give consistent answers; we check that. " * 5,
        status=Paper.Status.INBOX,
    )
    PlacementFactory(
        paper=paper,
        challenge=challenge,
        origin=Placement.Origin.SUGGESTED,
        review_state=Placement.ReviewState.PENDING,
        confidence=0.74,
        evidence="Test oracles: keywords in the title: oracle.",
    )
    curator_create(username="ada", email="ada@example.org", password="a-long-pass-phrase")
    paper_id = paper.pk

    with chromium() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", "ada")
        page.fill("#id_password", "a-long-pass-phrase")
        page.click("input[type=submit]")
        inbox_link = page.get_by_role("link", name="Inbox")
        expect(inbox_link).to_be_visible()
        expect(page.locator("#curator-shortcuts")).to_contain_text("1 paper waiting")
        shots.take(page, "admin-index")
        inbox_link.click()

        row = page.locator(f"#inbox-paper-{paper_id}")
        expect(row).to_contain_text("Paraphrased prompts should give consistent answers")
        expect(row).to_contain_text("Test oracles")
        expect(row).to_contain_text("0.74")
        expect(row).to_contain_text("keywords in the title: oracle")
        shots.take(page, "inbox")
        row.get_by_role(
            "button", name="Accept challenge Test oracles and include the paper"
        ).click()

        expect(page.locator(".messagelist")).to_contain_text("Included")
        expect(page.locator(f"#inbox-paper-{paper_id}")).to_have_count(0)
        shots.take(page, "after-accept")

        public = browser.new_context().new_page()  # a reader, not signed in
        public.goto(f"{live_server.url}/challenges/oracles/")
        expect(public.locator("main")).to_contain_text("Metamorphic relations as oracles")
        browser.close()


def test_the_gap_map_states_its_coverage_and_flags_only_thin_challenges(live_server, shots) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    cache.clear()
    phase = PhaseFactory(slug="testing", order=1, name="Testing and Evaluation")
    busy = ChallengeFactory(phase=phase, slug="oracles", name="Test oracles")
    quiet = ChallengeFactory(phase=phase, slug="contamination", name="Contamination")
    other = PhaseFactory(slug="deploying", order=2, name="Deployment")
    idle = ChallengeFactory(phase=other, slug="serving", name="Serving cost")
    for year in (2023, 2024, 2024):
        paper = PaperFactory(year=year, published_at=datetime(year, 5, 1, tzinfo=UTC))
        PlacementFactory(paper=paper, challenge=busy)
    old = PaperFactory(year=2019, published_at=datetime(2019, 5, 1, tzinfo=UTC))
    PlacementFactory(paper=old, challenge=quiet)
    PlacementFactory(
        paper=PaperFactory(year=2020, published_at=datetime(2020, 1, 1, tzinfo=UTC)),
        challenge=idle,
    )

    with chromium() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(f"{live_server.url}/gaps/")
        expect(page.locator("#coverage")).to_contain_text(
            "newest paper in sellm is from 1 May 2024"
        )
        quiet_list = page.locator(".quiet-list")
        expect(quiet_list).to_contain_text("Contamination")
        expect(quiet_list).not_to_contain_text("Serving cost")  # its phase is quiet too
        expect(quiet_list).not_to_contain_text("Test oracles")
        header = page.locator(".heatmap thead tr").first
        expect(header).to_contain_text("2024")
        expect(header).not_to_contain_text("2025")  # no column after the newest paper
        shots.take(page, "gap-map")
        browser.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_make_runs_server_shows_the_projects_own_404_page(tmp_path: Path, shots) -> None:  # type: ignore[no-untyped-def]
    """The embedded default with nothing set (what `make run` starts): DEBUG off, so the
    reader meets sellm's 404 page, never Django's debug page listing every URL."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL"}
        and not k.startswith(("DJANGO_", "SECURE_"))
    }
    env["VAR_DIR"] = str(tmp_path)
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput", "-v0"], ["collectstatic", "--noinput", "-v0"]):
        subprocess.run([*manage, *command], cwd=ROOT, env=env, check=True, timeout=300)
    port = free_port()
    server = subprocess.Popen(
        [*manage, "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        with chromium() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            page = browser.new_page()
            response = page.goto(f"http://127.0.0.1:{port}/no-such-page/")
            assert response is not None
            assert response.status == 404
            html = page.content()
            assert "URLconf" not in html  # Django's debug 404 lists the URL patterns
            assert "DEBUG = True" not in html
            expect(page.locator("main")).to_be_visible()
            expect(page.get_by_role("search").first).to_be_visible()  # a way back in
            css = page.evaluate(
                "() => getComputedStyle(document.querySelector('.site-header')).display"
            )
            assert css != "inline"  # the stylesheet loaded (whitenoise serves static files)
            shots.take(page, "not-found")
            browser.close()
        assert (tmp_path / "secret-key").exists()  # generated once into var/
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
        assert "AXES" not in output
