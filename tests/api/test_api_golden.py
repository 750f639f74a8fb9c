"""The API's answers, its exports and the key HTML pages, byte for byte, on a fixed corpus.

The golden file was written by the code before the paper serializer was rebuilt around its
declared fields (issue 15, "One API shape"); a refactor of how answers are built must not
change a byte of them. After a deliberate change of output, rewrite it (once per database) with
`SELLM_WRITE_GOLDEN=1 .venv/bin/pytest tests/api/test_api_golden.py` and review the diff.

The answers after `extend_corpus` were added before the pages, feeds, exports, listings and
the admin moved to the API's relation loaders (issue 15, "One API shape", last part): every
other reader of a paper's authors and placements, on a corpus grown by what only they show
(related papers, long author lists, an empty abstract, an accepted placement of an inbox
paper), so that move must not change a byte either.
"""

import io
import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from apps.listings.models import Listing, ListingEntry
from apps.listings.services import listing_freeze
from apps.papers.models import Authorship, Citation, Paper, Placement, RelatedPaper
from apps.papers.services.upsert import AUTHOR_SEPARATOR
from tests.factories import (
    AuthorFactory,
    CategoryFactory,
    ChallengeFactory,
    PaperFactory,
    PhaseFactory,
    PlacementFactory,
    ResearchDirectionFactory,
)

DATA = Path(__file__).parent / "data"
BASE = 70000  # explicit keys, so the answers do not depend on which tests ran before
WHEN = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

API = "/api/v1/papers/"
API_ANSWERS = [
    ("list", {}),
    ("list page 2", {"page_size": 3, "page": 2}),
    ("list by title", {"ordering": "title"}),
    ("list oldest", {"ordering": "published"}),
    ("list by citations", {"ordering": "-cited_by_count"}),
    ("list 2023", {"year": 2023}),
    ("list with doi", {"has_doi": "true"}),
    ("list phase", {"phase": "golden-testing"}),
    ("list challenge", {"challenge": "golden-oracles"}),
    ("list search", {"q": "fuzzing"}),
    ("list fields", {"fields": "id,title,authors,placements"}),
    ("list fields scalar", {"fields": "url,year,doi,relevance"}),
    ("list fields citations", {"fields": "references,cited_by,categories"}),
    ("list cursor", {"cursor": "*", "page_size": 4}),
    ("export bibtex", {"format": "bibtex"}),
    ("export ris", {"format": "ris"}),
    ("export csljson", {"format": "csljson"}),
    ("export bibtex 2024", {"format": "bibtex", "year": 2024}),
]
DETAIL_FORMATS = [None, "bibtex", "ris", "csljson"]
HTML_PAGES = ["/papers/", "/papers/?q=fuzzing", "/papers/?phase=golden-testing", "/authors/"]
# Readers of a paper's authors and placements besides the API's answers (after extend_corpus).
FEEDS = [
    "/feeds/papers/",
    "/feeds/papers/?q=fuzzing",
    "/feeds/phases/golden-testing/",
    "/feeds/phases/golden-coding/",
    "/feeds/challenges/golden-oracles/",
    "/feeds/directions/golden-repair/",
]
TAXONOMY_PAGES = [
    "/phases/golden-testing/",
    "/phases/golden-coding/",
    "/challenges/golden-oracles/",
    "/directions/golden-repair/",
]
DOWNLOADS = ["bibtex", "ris", "csl-json"]


def build_corpus() -> list[Paper]:
    """Eight papers with every kind of field, relation and hidden row the answers show."""
    testing = PhaseFactory(id=BASE, slug="golden-testing", name="Testing", order=900)
    coding = PhaseFactory(id=BASE + 1, slug="golden-coding", name="Coding", order=901)
    oracles = ChallengeFactory(id=BASE, phase=testing, slug="golden-oracles", name="Oracles")
    direction = ResearchDirectionFactory(
        id=BASE, phase=coding, slug="golden-repair", name="Repair", challenges=[oracles]
    )
    names = ["Ada Lovelace", "Łukasz Kaiser", "Søren Kierkegaard", "Grace Hopper", "Alan Turing"]
    authors = [AuthorFactory(id=BASE + i, name=name) for i, name in enumerate(names)]
    se, pl = CategoryFactory(code="cs.SE"), CategoryFactory(code="cs.PL")
    papers = []
    for i in range(8):
        status = Paper.Status.INBOX if i == 7 else Paper.Status.INCLUDED
        paper = PaperFactory(
            id=BASE + i,
            title=["Fuzzing compilers with {LLMs}", "Test oracles", "Repairing code"][i % 3]
            + f" {i}",
            abstract=f"Abstract number {i}: what the paper does, in sellm's own words.",
            arxiv_id=f"2912.{BASE + i:05d}" if i % 4 else None,
            arxiv_version=2 if i % 4 else None,
            arxiv_versions=[
                {"version": 1, "date": "2024-01-02T00:00:00+00:00"},
                {"version": 2},
            ]
            if i % 4
            else [],
            doi=f"10.1000/golden.{i}" if i % 2 else None,
            year=2023 + i % 3,
            published_at=datetime(2023 + i % 3, 1 + i, 3, 4, 5, 6, tzinfo=UTC) if i != 5 else None,
            revised_at=datetime(2025, 2, 3, 4, 5, 6, tzinfo=UTC) if i % 3 == 1 else None,
            primary_category="cs.SE",
            venue="ICSE" if i % 2 else "",
            journal_ref="Proc. ICSE 2024, pp. 1--10" if i == 3 else "",
            comment="12 pages" if i == 1 else "",
            license="http://creativecommons.org/licenses/by/4.0/" if i == 2 else "",
            kind=[Paper.Kind.TOOL, Paper.Kind.BENCHMARK, ""][i % 3],
            code_url="https://example.org/code" if i == 1 else "",
            oa_url="https://example.org/oa.pdf" if i == 2 else "",
            curator_note="Kept: the first of its kind." if i == 0 else "",
            openalex_id=f"W{BASE + i}" if i % 2 else None,
            cited_by_count=i * 3 if i % 2 else None,
            cited_by_as_of=date(2026, 11, 30) if i % 2 else None,
            references_outside=i if i % 2 else None,
            record_incomplete=i == 4,
            bibtex_key=f"golden{i}",
            bibtex_type="inproceedings" if i % 2 else "article",
            bibtex_fields={"note": "kept", "pages": "1--10"} if i == 3 else {},
            curator_edited_fields=["title"] if i == 0 else [],
            status=status,
            status_reason="",
            included_at=WHEN if status == Paper.Status.INCLUDED else None,
        )
        mine = [authors[(i + j) % len(authors)] for j in range(1 + i % 3)]
        for position, author in enumerate(mine):
            Authorship.objects.create(
                paper=paper, author=author, position=position, affiliation="ETH" if position else ""
            )
        paper.author_names = AUTHOR_SEPARATOR.join(a.name for a in mine)
        paper.save(update_fields=["author_names"])
        paper.categories.add(se, *([pl] if i % 2 else []))
        papers.append(paper)
    placements = [
        (0, {"phase": testing}, Placement.ReviewState.ACCEPTED),
        (0, {"challenge": oracles}, Placement.ReviewState.ACCEPTED),
        (1, {"direction": direction}, Placement.ReviewState.ACCEPTED),
        (2, {"challenge": oracles}, Placement.ReviewState.PENDING),
        (3, {"phase": coding}, Placement.ReviewState.ACCEPTED),
    ]
    for n, (i, target, state) in enumerate(placements):
        PlacementFactory(
            id=BASE + n,
            paper=papers[i],
            review_state=state,
            origin=Placement.Origin.CURATOR
            if state == Placement.ReviewState.ACCEPTED
            else Placement.Origin.SUGGESTED,
            confidence=None if state == Placement.ReviewState.ACCEPTED else 0.75,
            evidence=f"Evidence {n}.",
            reviewed_at=WHEN,
            **target,
        )
    for citing, cited in [(0, 1), (0, 2), (1, 2), (3, 0), (4, 7), (7, 0)]:
        Citation.objects.create(citing=papers[citing], cited=papers[cited])
    Paper.objects.filter(pk__gte=BASE).update(created_at=WHEN, updated_at=WHEN)
    Placement.objects.filter(pk__gte=BASE).update(created_at=WHEN, updated_at=WHEN)
    return papers


def body(response) -> str:  # type: ignore[no-untyped-def]
    content = (
        b"".join(response.streaming_content) if response.streaming else response.content
    ).decode("utf-8")
    return f"{response.status_code} {response['Content-Type']}\n{content}"


def html(response) -> str:  # type: ignore[no-untyped-def]
    """The page without what differs per request (CSRF tokens)."""
    text = body(response)
    return re.sub(r'(csrf[\w-]*"?\s*(?:value|content)=")[^"]*', r"\1…", text, flags=re.I)


def answers(curator_api: APIClient) -> dict[str, str]:
    anon, browser = APIClient(), Client()

    def get(client, path: str, params: dict | None = None) -> str:  # type: ignore[no-untyped-def]
        cache.clear()  # throttle counts live in the cache, and exports are throttled tightly
        response = client.get(path, params or {})
        return html(response) if client is browser else body(response)

    found = {}
    for name, params in API_ANSWERS:
        found[f"anon {name}"] = get(anon, API, params)
    for name, params in API_ANSWERS[:3] + API_ANSWERS[10:11]:
        found[f"curator {name}"] = get(curator_api, API, params)
    for i in (0, 1, 3, 5):
        for format in DETAIL_FORMATS:
            params = {"format": format} if format else {}
            found[f"anon detail {i} {format}"] = get(anon, f"{API}{BASE + i}/", params)
    found["curator detail 7"] = get(curator_api, f"{API}{BASE + 7}/")
    found["anon detail fields"] = get(
        anon, f"{API}{BASE}/", {"fields": "title,references,placements"}
    )
    for path in HTML_PAGES + [f"/papers/{BASE + i}/" for i in (0, 1, 3)] + [f"/authors/{BASE}/"]:
        found[f"html {path}"] = get(browser, path)
    return found


def extend_corpus(papers: list[Paper]) -> None:
    """What only the pages, feeds and exports show: related papers, more than six authors,
    a paper without abstract (its feed entry shows the evidence note), and an accepted
    placement of a paper in the inbox (curators' lists show it)."""
    for rank, other in enumerate((1, 3)):
        RelatedPaper.objects.create(
            paper=papers[0],
            related=papers[other],
            rank=rank,
            similarity=0.5 - rank / 10,
            words=["fuzzing", "oracle"][: rank + 1],
            computed_at=WHEN,
        )
    Paper.objects.filter(pk=papers[3].pk).update(abstract="")
    many = [AuthorFactory(id=BASE + 10 + i, name=f"Author Number{i}") for i in range(7)]
    Authorship.objects.filter(paper=papers[6]).delete()
    for position, author in enumerate(many):
        Authorship.objects.create(paper=papers[6], author=author, position=position)
    testing = papers[0].placements.get(challenge__isnull=True).phase
    PlacementFactory(
        id=BASE + 20,
        paper=papers[7],
        phase=testing,
        review_state=Placement.ReviewState.ACCEPTED,
        origin=Placement.Origin.CURATOR,
        confidence=None,
        evidence="Evidence of the inbox paper.",
        reviewed_at=WHEN,
    )
    Placement.objects.filter(pk__gte=BASE).update(created_at=WHEN, updated_at=WHEN)


def more_answers(curator_api: APIClient, curator_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Feeds, taxonomy pages, paper pages with related papers, downloads (one paper and a
    list's), a listing's snapshot and page, `export_bibtex`, the admin's paper list."""
    browser, curator = Client(), Client()
    curator.force_login(curator_user)

    def get(client, path: str, params: dict | None = None) -> str:  # type: ignore[no-untyped-def]
        cache.clear()
        return html(client.get(path, params or {}))

    found = {}
    for path in FEEDS:
        found[f"feed {path}"] = get(browser, path)
    for path in TAXONOMY_PAGES:
        found[f"html {path}"] = get(browser, path)
    found["curator html /phases/golden-testing/"] = get(curator, "/phases/golden-testing/")
    found["html /"] = get(browser, "/")
    for path in ["/papers/", "/papers/?phase=golden-testing", f"/authors/{BASE + 10}/"]:
        found[f"extended html {path}"] = get(browser, path)
        found[f"curator html {path}"] = get(curator, path)
    for i in (0, 3, 6):
        found[f"extended html /papers/{BASE + i}/"] = get(browser, f"/papers/{BASE + i}/")
        for kind in DOWNLOADS:
            found[f"download {i} {kind}"] = get(browser, f"/papers/{BASE + i}/{kind}/")
    found[f"curator html /papers/{BASE + 7}/"] = get(curator, f"/papers/{BASE + 7}/")
    for kind in DOWNLOADS:
        found[f"download list {kind}"] = get(browser, f"/papers/{kind}/")
        found[f"download list phase {kind}"] = get(
            browser, f"/papers/{kind}/", {"phase": "golden-testing"}
        )
        found[f"curator download list {kind}"] = get(curator, f"/papers/{kind}/")
    for format in ("bibtex", "ris", "csljson"):
        found[f"anon extended export {format}"] = body(APIClient().get(API, {"format": format}))
        found[f"curator export {format}"] = body(curator_api.get(API, {"format": format}))
    found["curator extended list"] = body(curator_api.get(API))
    found["admin paper list"] = get(curator, "/admin/papers/paper/")

    listing = listing_freeze(title="Golden listing", query="phase=golden-testing,golden-coding")
    flow = listing.prisma | {"as_of": WHEN.isoformat()}  # the moment of freezing, fixed
    Listing.objects.filter(pk=listing.pk).update(frozen_at=WHEN, prisma=flow)
    entries = ListingEntry.objects.filter(listing=listing).order_by("position")
    found["listing snapshot"] = json.dumps(
        [
            {
                "paper_ref": e.paper_ref,
                "citation_key": e.citation_key,
                "record": e.record,
                "bibtex": e.bibtex,
                "csl": e.csl,
            }
            for e in entries
        ],
        indent=1,
        ensure_ascii=False,
    )
    found["listing page"] = get(browser, f"/listings/{listing.slug}/")
    for suffix in ("export.bib", "export.ris", "export.json"):
        found[f"listing {suffix}"] = get(browser, f"/listings/{listing.slug}/{suffix}")

    for args in ([], ["--phase", "golden-testing"], ["--status", "all"]):
        out, err = io.StringIO(), io.StringIO()
        call_command("export_bibtex", *args, stdout=out, stderr=err)
        found[f"export_bibtex {' '.join(args)}".strip()] = out.getvalue() + err.getvalue()
    return found


@pytest.mark.django_db
def test_answers_and_pages_are_byte_identical_to_the_golden_file(curator_api, curator_user) -> None:
    # Per database: search ranks (FTS5 vs ts_rank) and the order of equal rows differ.
    GOLDEN = DATA / f"golden_paper_answers.{connection.vendor}.json"
    papers = build_corpus()

    found = answers(curator_api)
    extend_corpus(papers)
    found |= more_answers(curator_api, curator_user)

    if os.environ.get("SELLM_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert list(found) == list(golden)
    # Pages fill their links from the rows' URLs: a row loaded without them would link nowhere.
    assert not [name for name, text in found.items() if 'href=""' in text]
    for name, text in golden.items():
        assert found[name] == text, name
