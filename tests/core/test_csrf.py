"""CSRF on every form: each page with a POST form carries a CSRF token in it, and posting to
the form's target without the token is refused and writes nothing.

The pages are found by walking every route (tests/core/routes.py) as a superuser and as an
anonymous visitor, plus the pages only a POST leads to (the BibTeX import preview) and the
change page of a failed run (its Resume button)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from apps.ingestion.models import IngestRun
from tests.core.routes import all_routes, build_world, client_as, row_counts, rule_for, url_for
from tests.factories import IngestRunFactory

pytestmark = pytest.mark.django_db

BIB = b"@misc{csrf1, title={Tokens in forms}, author={Doe, Jane}, year={2024}}"


def is_token(fields: dict[str, str | None]) -> bool:
    return fields.get("name") == "csrfmiddlewaretoken" and bool(fields.get("value"))


class PostForms(HTMLParser):
    """The POST forms of a page: (action, whether a csrfmiddlewaretoken field is inside)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[list] = []
        self._open: list | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        fields = dict(attrs)
        if tag == "form" and (fields.get("method") or "").lower() == "post":
            self._open = [fields.get("action") or "", False]
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None and is_token(fields):
            self._open[1] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def post_forms(url: str, html: str) -> list[tuple[str, str, bool]]:
    """(page, absolute form target, has a token) for every POST form on the page."""
    parser = PostForms()
    parser.feed(html)
    return [(url, urljoin(url, action), token) for action, token in parser.forms]


@pytest.fixture
def pages() -> dict:
    """Every HTML page reachable by GET (as a superuser, and the login page as a visitor), the
    BibTeX preview, and a failed run's change page: {url: html}."""
    world = build_world()
    failed = IngestRunFactory(status=IngestRun.Status.FAILED)
    superuser = client_as("superuser", world)
    found = {}
    routes = [(route, rule_for(route)) for route in all_routes()]
    urls = [url_for(route, rule.params(world)) for route, rule in routes if rule]
    urls.append(reverse("admin:ingestion_ingestrun_change", args=[failed.pk]))
    for url in urls:
        response = superuser.get(url)
        if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
            found[url] = response.content.decode()
    login = reverse("admin:login")
    found[login] = Client().get(login).content.decode()
    upload = reverse("admin:ingestion_bibteximport_add")
    preview = superuser.post(upload, {"file": SimpleUploadedFile("p.bib", BIB)})
    found[upload + "#preview"] = preview.content.decode()
    return {"pages": found, "world": world}


def test_every_post_form_carries_a_csrf_token(pages: dict) -> None:
    forms = [form for url, html in pages["pages"].items() for form in post_forms(url, html)]
    pages_with_forms = {page.split("#")[0] for page, _, _ in forms}

    assert [f"{page} -> {target}" for page, target, token in forms if not token] == []
    # The walk reached the forms that matter, not just a few of them.
    for expected in (
        r"/admin/login/",
        r"/admin/api-token/",
        r"/admin/papers/paper/add/",
        r"/admin/papers/paper/",  # the changelist's action form
        r"/admin/taxonomy/phase/\d+/change/",
        r"/admin/taxonomy/phase/\d+/delete/",
        r"/admin/ingestion/bibteximport/add/",
        r"/admin/ingestion/ingestrun/add-arxiv-ids/",
        r"/admin/password_change/",
    ):
        assert any(re.fullmatch(expected, page) for page in pages_with_forms), expected
    assert any("#preview" in page for page, _, _ in forms)
    assert any("/resume/" in target for _, target, _ in forms)


def test_posting_any_form_without_its_token_is_refused_and_writes_nothing(pages: dict) -> None:
    world = pages["world"]
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world["users"]["superuser"])
    targets = {
        target
        for url, html in pages["pages"].items()
        for _, target, _ in post_forms(url, html)
        if target.startswith("/")
    }
    before = row_counts()

    answers = {target: browser.post(target, {"confirm": "1"}).status_code for target in targets}

    assert {target: status for target, status in answers.items() if status != 403} == {}
    assert row_counts() == before
    assert len(targets) >= 10


def test_a_logged_out_browser_cannot_post_the_login_form_without_its_token() -> None:
    response = Client(enforce_csrf_checks=True).post(
        reverse("admin:login"), {"username": "x", "password": "y"}
    )

    assert response.status_code == 403
