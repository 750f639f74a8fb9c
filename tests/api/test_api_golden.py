"""The API's answers, its exports and the key HTML pages, byte for byte, on a fixed corpus.

The golden file was written by the code before the paper serializer was rebuilt around its
declared fields (issue 15, "One API shape"); a refactor of how answers are built must not
change a byte of them. After a deliberate change of output, rewrite it (once per database) with
`SELLM_WRITE_GOLDEN=1 .venv/bin/pytest tests/api/test_api_golden.py` and review the diff.
"""

import json
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from apps.papers.models import Authorship, Citation, Paper, Placement
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


@pytest.mark.django_db
def test_answers_and_pages_are_byte_identical_to_the_golden_file(curator_api) -> None:
    # Per database: search ranks (FTS5 vs ts_rank) and the order of equal rows differ.
    GOLDEN = DATA / f"golden_paper_answers.{connection.vendor}.json"
    build_corpus()

    found = answers(curator_api)

    if os.environ.get("SELLM_WRITE_GOLDEN"):
        GOLDEN.write_text(json.dumps(found, indent=1, ensure_ascii=False) + "\n")
    golden = json.loads(GOLDEN.read_text())
    assert list(found) == list(golden)
    for name, text in golden.items():
        assert found[name] == text, name
