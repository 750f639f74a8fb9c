"""Stored text on the public pages: always escaped, and inline LaTeX made readable only where
the reading is unambiguous."""

import pytest
from django.core.cache import cache
from django.test import Client

from apps.core.bibliography.codec import latex_to_unicode
from apps.papers.models import Author
from tests.factories import ChallengeFactory, PaperFactory, PlacementFactory

pytestmark = pytest.mark.django_db

SCRIPT_TITLE = '<script>alert("title")</script> Prompt injection'
SCRIPT_AUTHOR = "<img src=x onerror=alert(1)> Mallory"
SCRIPT_ABSTRACT = "We show </p><script>alert('abstract')</script> attacks."


@pytest.fixture(autouse=True)
def _fresh_page_cache():  # type: ignore[no-untyped-def]
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (r"$\tau$Test: testing LLM agents", "τTest: testing LLM agents"),
        (r"Bounds $\leq$ and $\alpha\beta$-pruning", "Bounds ≤ and αβ-pruning"),
        (r"$k$-NN retrieval", "k-NN retrieval"),
        (r"Learning over $\mathbb{R}$", "Learning over \N{DOUBLE-STRUCK CAPITAL R}"),
        (r"$O(n^2)$ attention", "O(n^2) attention"),
        # Ambiguous or unknown: the text as written.
        (r"$\frac{1}{2}$-approximations", r"$\frac{1}{2}$-approximations"),
        (r"The $\weirdmacro$ trick", r"The $\weirdmacro$ trick"),
        ("It costs $5 and $10 per run", "It costs $5 and $10 per run"),
        ("A single $ sign", "A single $ sign"),
        (r"Escaped \$\tau\$ stays", r"Escaped \$\tau\$ stays"),
        ("No math at all", "No math at all"),
    ],
)
def test_latex_reads_well_only_where_unambiguous(text: str, shown: str) -> None:
    assert latex_to_unicode(text) == shown


def test_latex_in_titles_and_abstracts_is_converted_on_the_pages(client: Client) -> None:
    paper = PaperFactory(
        title=r"$\tau$Test: testing with $\lambda$-calculus",
        abstract=r"We bound the error by $\epsilon$ and keep $\frac{a}{b}$ as written.",
    )

    detail = client.get(f"/papers/{paper.pk}/").content.decode()
    listing = client.get("/papers/").content.decode()

    assert "τTest: testing with λ-calculus</h1>" in detail
    assert r"We bound the error by ϵ and keep $\frac{a}{b}$ as written." in detail
    assert "τTest: testing with λ-calculus</a>" in listing


def test_stored_text_is_escaped_on_every_page(client: Client) -> None:
    challenge = ChallengeFactory(slug="injection", name="<b>Injection</b>")
    paper = PaperFactory(title=SCRIPT_TITLE, abstract=SCRIPT_ABSTRACT, authors=[SCRIPT_AUTHOR])
    related = PaperFactory(title="Related </h3><script>alert(2)</script>")
    PlacementFactory(paper=paper, challenge=challenge, evidence="<script>alert(3)</script>")
    PlacementFactory(paper=related, challenge=challenge)
    author = Author.objects.get(name=SCRIPT_AUTHOR)

    urls = [
        "/",
        "/papers/",
        "/papers/?q=injection",
        f"/papers/{paper.pk}/",
        f"/papers/{related.pk}/",
        f"/authors/{author.pk}/",
        f"/phases/{challenge.phase.slug}/",
        "/challenges/injection/",
        "/gaps/",
    ]
    for url in urls:
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "<b>Injection" not in html, url

    detail = client.get(f"/papers/{paper.pk}/").content.decode()
    assert "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt; Prompt injection" in detail
    assert "&lt;img src=x onerror=alert(1)&gt; Mallory" in detail
    assert "&lt;/p&gt;&lt;script&gt;alert(&#x27;abstract&#x27;)&lt;/script&gt;" in detail
    assert (
        "&lt;script&gt;alert(3)&lt;/script&gt;"
        in client.get("/challenges/injection/").content.decode()
    )


def test_a_search_query_is_escaped_when_echoed(client: Client) -> None:
    html = client.get("/papers/", {"q": '"><script>alert(9)</script>'}).content.decode()

    assert "<script>alert(9)" not in html
    assert "&lt;script&gt;alert(9)&lt;/script&gt;" in html
