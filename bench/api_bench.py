"""Time the paper list and full-text search of the REST API against a hand-written baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sellm_api_bench \\
        .venv/bin/python bench/api_bench.py [--runs 40]

Needs a database filled by bench/api_generate.py. Each request goes through the whole Django
stack in-process (middleware, authentication, throttling, filtering, serialising, rendering):
server-side time, no network. The baseline answers the same request with hand-written SQL and
`json.dumps` — the same rows, fields and links, checked equal — so each API figure stands next
to what the database and the JSON encoder alone cost, measured in the same run, interleaved.
Query counts are recorded at page sizes 10 and 50 to show they do not depend on the rows.
Prints a Markdown table (for docs/performance.md).
"""

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import Figure, configure_django, percentile

# Measure the work, not the throttle: rates high enough never to refuse, still counted.
# The anonymous answer cache off: every request is answered afresh, as the baseline is.
SETTINGS_ENV = {
    "ALLOWED_HOSTS": "testserver",
    "SECURE_SSL_REDIRECT": "0",
    "API_CACHE_SECONDS": "0",
} | {f"API_THROTTLE_{scope}": "1000000/minute" for scope in ("ANON", "USER", "SEARCH", "EXPORT")}

BASE = "http://testserver/api/v1"
PAPER_COLUMNS = (
    "id, title, abstract, year, published_at, revised_at, arxiv_id, arxiv_version, "
    "arxiv_versions, doi, primary_category, venue, journal_ref, comment, license, bibtex_key, "
    "bibtex_type, bibtex_fields, status, status_reason, included_at, source, "
    "curator_edited_fields, created_at, updated_at, kind, code_url, oa_url, curator_note, "
    "openalex_id, cited_by_count, cited_by_as_of, references_outside, record_incomplete"
)


def iso(value):  # type: ignore[no-untyped-def]
    """Datetimes as DRF writes them (ISO 8601, UTC as Z)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def baseline(  # type: ignore[no-untyped-def]
    where: str, params: list, order: str, page_size: int, url: str, search: str = "", before=False
):
    """The paper list answered with hand-written SQL and json.dumps: count, one page, then the
    page's authors, accepted placements (with their taxonomy rows) and categories. A search
    does what apps.papers.search does, by hand (`search_page`): the same page of ids and the
    same total, then the page's rows by id. With `before`, a search counts and ranks every
    match, as sellm did before issue 13 (the same document otherwise)."""
    from django.db import connection

    estimate = False
    with connection.cursor() as cursor:
        if search:
            where, params, tsquery = search_where(search)
            rank = "ts_rank(search_vector, to_tsquery('english', %s))"
            if before:
                cursor.execute(f"SELECT count(*) FROM papers_paper WHERE {where}", params)
                count = cursor.fetchone()[0]
                cursor.execute(
                    f"SELECT id FROM papers_paper WHERE {where} "
                    f"ORDER BY {rank} DESC, published_at DESC, id DESC LIMIT %s",
                    [*params, tsquery, page_size],
                )
                ids = [row[0] for row in cursor.fetchall()]
            else:
                count, estimate, ids = search_page(cursor, where, params, tsquery, page_size)
            cursor.execute(
                f"SELECT {PAPER_COLUMNS}, {rank} AS relevance FROM papers_paper WHERE id = ANY(%s)",
                [tsquery, ids],
            )
            found = {row[0]: row for row in cursor.fetchall()}
            page_rows = [found[pk] for pk in ids]
        else:
            cursor.execute(f"SELECT count(*) FROM papers_paper WHERE {where}", params)
            count = cursor.fetchone()[0]
            cursor.execute(
                f"SELECT {PAPER_COLUMNS}, NULL AS relevance FROM papers_paper "
                f"WHERE {where} ORDER BY {order} LIMIT %s",
                [*params, page_size],
            )
        columns = [c.name for c in cursor.description]
        if not search:
            page_rows = cursor.fetchall()
        rows = [dict(zip(columns, row, strict=True)) for row in page_rows]
        ids = [row["id"] for row in rows]
        cursor.execute(
            "SELECT s.paper_id, s.author_id, a.name, s.affiliation FROM papers_authorship s "
            "JOIN papers_author a ON a.id = s.author_id WHERE s.paper_id = ANY(%s) "
            "ORDER BY s.position",
            [ids],
        )
        authors: dict[int, list] = {}
        for paper_id, author_id, name, affiliation in cursor.fetchall():
            authors.setdefault(paper_id, []).append(
                {
                    "id": author_id,
                    "name": name,
                    "affiliation": affiliation,
                    "url": f"{BASE}/authors/{author_id}/",
                }
            )
        cursor.execute(
            "SELECT p.paper_id, p.id, p.origin, p.confidence, p.evidence, p.review_state, "
            "ph.slug, ph.name, c.slug, c.name, d.slug, d.name FROM papers_placement p "
            "JOIN taxonomy_phase ph ON ph.id = p.phase_id "
            "LEFT JOIN taxonomy_challenge c ON c.id = p.challenge_id "
            "LEFT JOIN taxonomy_researchdirection d ON d.id = p.direction_id "
            "JOIN papers_paper pp ON pp.id = p.paper_id "
            "WHERE p.paper_id = ANY(%s) AND p.review_state = 'accepted' "
            "AND pp.status = 'included' ORDER BY ph.\"order\", p.id",
            [ids],
        )
        placements: dict[int, list] = {}
        for paper_id, pk, origin, confidence, evidence, state, *names in cursor.fetchall():
            phase = {"slug": names[0], "name": names[1], "url": f"{BASE}/phases/{names[0]}/"}
            challenge = direction = None
            if names[2]:
                challenge = {
                    "slug": names[2],
                    "name": names[3],
                    "url": f"{BASE}/challenges/{names[2]}/",
                }
            if names[4]:
                direction = {
                    "slug": names[4],
                    "name": names[5],
                    "url": f"{BASE}/directions/{names[4]}/",
                }
            placements.setdefault(paper_id, []).append(
                {
                    "id": pk,
                    "url": f"{BASE}/placements/{pk}/",
                    "target_kind": "direction"
                    if direction
                    else "challenge"
                    if challenge
                    else "phase",
                    "phase": phase,
                    "challenge": challenge,
                    "direction": direction,
                    "origin": origin,
                    "confidence": confidence,
                    "evidence": evidence,
                    "review_state": state,
                }
            )
        cursor.execute(
            "SELECT paper_id, category_id FROM papers_paper_categories WHERE paper_id = ANY(%s) "
            "ORDER BY category_id",
            [ids],
        )
        categories: dict[int, list] = {}
        for paper_id, code in cursor.fetchall():
            categories.setdefault(paper_id, []).append(code)
        linked: dict[str, dict[int, list]] = {"references": {}, "cited_by": {}}
        for name, own, other in (
            ("references", "citing", "cited"),
            ("cited_by", "cited", "citing"),
        ):
            cursor.execute(
                f"SELECT l.{own}_id, o.id, o.title, o.year, o.arxiv_id FROM papers_citation l "
                f"JOIN papers_paper o ON o.id = l.{other}_id "
                f"WHERE l.{own}_id = ANY(%s) AND o.status = 'included' "
                "ORDER BY o.published_at DESC NULLS LAST, o.id DESC",
                [ids],
            )
            for paper_id, pk, title, year, arxiv_id in cursor.fetchall():
                linked[name].setdefault(paper_id, []).append(
                    {
                        "id": pk,
                        "url": f"{BASE}/papers/{pk}/",
                        "title": title,
                        "year": year,
                        "arxiv_id": arxiv_id,
                    }
                )
    results = []
    for row in rows:
        pk = row["id"]
        results.append(
            {
                "id": pk,
                "url": f"{BASE}/papers/{pk}/",
                "title": row["title"],
                "authors": authors.get(pk, []),
                "abstract": row["abstract"],
                "year": row["year"],
                "published_at": iso(row["published_at"]),
                "revised_at": iso(row["revised_at"]),
                "arxiv_id": row["arxiv_id"],
                "arxiv_version": row["arxiv_version"],
                "arxiv_versions": json.loads(row["arxiv_versions"]),
                "arxiv_url": f"https://arxiv.org/abs/{row['arxiv_id']}" if row["arxiv_id"] else "",
                "doi": row["doi"],
                "doi_url": f"https://doi.org/{row['doi']}" if row["doi"] else "",
                "pdf_url": f"https://arxiv.org/pdf/{row['arxiv_id']}" if row["arxiv_id"] else "",
                "primary_category": row["primary_category"],
                "categories": categories.get(pk, []),
                "venue": row["venue"],
                "kind": row["kind"],
                "code_url": row["code_url"],
                "oa_url": row["oa_url"],
                "curator_note": row["curator_note"],
                "openalex_id": row["openalex_id"],
                "cited_by_count": row["cited_by_count"],
                "cited_by_as_of": row["cited_by_as_of"] and row["cited_by_as_of"].isoformat(),
                "references_outside": row["references_outside"],
                "references": linked["references"].get(pk, []),
                "cited_by": linked["cited_by"].get(pk, []),
                "record_incomplete": row["record_incomplete"],
                "journal_ref": row["journal_ref"],
                "comment": row["comment"],
                "license": row["license"],
                "bibtex_key": row["bibtex_key"],
                "bibtex_type": row["bibtex_type"],
                "bibtex_fields": json.loads(row["bibtex_fields"]),
                "placements": placements.get(pk, []),
                "status": row["status"],
                "status_reason": row["status_reason"],
                "included_at": iso(row["included_at"]),
                "source": row["source"],
                "curator_edited_fields": json.loads(row["curator_edited_fields"]),
                "relevance": None if row["relevance"] is None else round(row["relevance"], 6),
                "created_at": iso(row["created_at"]),
                "updated_at": iso(row["updated_at"]),
            }
        )
    document: dict = {"count": count}
    if estimate:
        document["count_is_estimate"] = True
    document |= {
        "next": f"{url}&page=2" if count > page_size else None,
        "previous": None,
        "results": results,
    }
    return json.dumps(document).encode()


def search_where(text: str) -> tuple[str, list, str]:
    """WHERE clause, parameters and tsquery of a search, from the same parser the API uses."""
    from apps.papers.search import parse_search
    from apps.papers.searchquery import to_tsquery_excluded, to_tsquery_text

    query = parse_search(text)
    positive, excluded = to_tsquery_text(query), to_tsquery_excluded(query)
    tsquery = f"({positive}) & !{excluded}" if excluded else positive
    where = "status = 'included' AND search_vector @@ to_tsquery('english', %s)"
    params: list = [tsquery]
    first, last = query.years or (None, None)
    if first is not None:
        where, params = where + " AND year >= %s", [*params, first]
    if last is not None:
        where, params = where + " AND year <= %s", [*params, last]
    return where, params, tsquery


def search_page(  # type: ignore[no-untyped-def]
    cursor, where: str, params: list, tsquery: str, size: int
) -> tuple[int, bool, list[int]]:
    """(count, is it an estimate, the first page's ids), as SearchPaginator does it: the
    planner's row estimate (checked by the sample when high) picks the path; one pass over
    at most PASS_LIMIT + 1 matches gives an exact count and ranks all of them up to
    COUNT_CAP, the RANK_WINDOW newest above; broader, a sample of ~1,000 ids estimates the
    total and the RANK_WINDOW newest matches are ranked."""
    from apps.papers.search import (
        COUNT_CAP,
        PASS_LIMIT,
        RANK_WINDOW,
        SAMPLE_BLOCK,
        SAMPLE_BLOCKS,
    )

    def sample() -> int:
        cursor.execute("SELECT min(id), max(id) FROM papers_paper")
        low, high = cursor.fetchone()
        step = (high - low + 1) // SAMPLE_BLOCKS
        ranges = " OR ".join(
            f"(id >= {start} AND id < {start + SAMPLE_BLOCK})"
            for start in range(low, low + step * SAMPLE_BLOCKS, step)
        )
        cursor.execute(
            f"SELECT count(*) FROM (SELECT * FROM papers_paper WHERE {ranges} OFFSET 0) p "
            f"WHERE {where}",
            params,
        )
        value = cursor.fetchone()[0] * (high - low + 1) / (SAMPLE_BLOCKS * SAMPLE_BLOCK)
        return int(round(value, -max(0, len(str(int(value))) - 2)))

    columns = (
        "id, ts_rank(search_vector, to_tsquery('english', %s)) AS relevance, published_at, year"
    )
    order = "relevance DESC, published_at DESC, id DESC"
    cursor.execute(f"EXPLAIN (FORMAT JSON) SELECT id FROM papers_paper WHERE {where}", params)
    plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    estimate = sample() if plan[0]["Plan"]["Plan Rows"] > PASS_LIMIT else None
    if estimate is None or estimate <= PASS_LIMIT:
        cursor.execute(
            f"WITH m AS MATERIALIZED (SELECT {columns} FROM papers_paper WHERE {where} "
            "LIMIT %s), t AS (SELECT count(*) AS n FROM m) "
            f"SELECT n, CASE WHEN n <= %s THEN ARRAY(SELECT id FROM m ORDER BY {order} "
            "LIMIT %s) END, CASE WHEN n > %s THEN ARRAY(SELECT id FROM (SELECT * FROM m "
            f"ORDER BY {NEWEST} LIMIT %s) w ORDER BY {order} LIMIT %s) END "
            "FROM t",
            [tsquery, *params, PASS_LIMIT + 1, COUNT_CAP, size, COUNT_CAP, RANK_WINDOW, size],
        )
        found, everything, window = cursor.fetchone()
        if found <= PASS_LIMIT:
            return found, False, list(everything if found <= COUNT_CAP else window)
        if estimate is None:
            estimate = sample()
    cursor.execute(
        f"SELECT ARRAY(SELECT id FROM (SELECT {columns} FROM papers_paper WHERE {where} "
        f"ORDER BY {NEWEST} LIMIT %s) w ORDER BY {order} LIMIT %s)",
        [tsquery, *params, RANK_WINDOW, size],
    )
    return max(COUNT_CAP + 1, estimate), True, list(cursor.fetchone()[0])


NEWEST = "year DESC NULLS LAST, published_at DESC NULLS LAST, id DESC"  # filtersets.NEWEST_FIRST


CASES = [
    # (label, API query string, baseline WHERE, params, ORDER BY, search text)
    (
        "list, newest first",
        "page_size=50",
        "status = 'included'",
        [],
        NEWEST,
        "",
    ),
    (
        "list, one phase",
        "page_size=50&phase=testing-evaluation",
        "status = 'included' AND EXISTS (SELECT 1 FROM papers_placement p JOIN taxonomy_phase "
        "ph ON ph.id = p.phase_id WHERE p.paper_id = papers_paper.id AND "
        "p.review_state = 'accepted' AND ph.slug = %s)",
        ["testing-evaluation"],
        NEWEST,
        "",
    ),
]
SEARCHES = [
    # broad: the field's everyday words, in most papers (LLM with its synonyms)
    "large language model",
    "code generation",
    "LLM",
    "model -survey",
    "year:2021..2024 code",
    # topics, phrases, an author, an exclusion: a few percent of the papers each
    "test generation",
    "hallucination",
    "fuzzing",
    "code review",
    "microservices",
    '"metamorphic testing"',
    "prompt injection",
    "Kowalski",
    "fuzzing -hallucination",
    "author:Kowalski year:2024",
]
# A search answers its first page of 25 ranked results (the API's default page size).
SEARCH_PAGE = 25
for text in SEARCHES:
    CASES.append(
        (
            f"search {text}",
            f"page_size={SEARCH_PAGE}&q={text}",
            "",
            [],
            "relevance DESC, published_at DESC, id DESC",
            text,
        )
    )


def timed(function) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = function()
    return (time.perf_counter() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Point DATABASE_URL at the database bench/api_generate.py filled.")
    configure_django(os.environ["DATABASE_URL"], **SETTINGS_ENV)
    run(args.runs)


def run(runs: int = 40) -> list[Figure]:
    """Each case's API median and p95 next to the hand-written baseline's; search p95s."""
    from urllib.parse import quote

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE status = 'included') FROM papers_paper"
        )
        total, included = cursor.fetchone()
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    print(
        f"{total} papers ({included} included); PostgreSQL {server}; Python "
        f"{platform.python_version()}; {os.cpu_count()} CPUs "
        f"({platform.processor() or platform.machine()}); "
        f"{runs} runs each after 3 warm-ups\n"
    )
    print(
        "| request | matches | API median | API p95 | baseline median | baseline p95 | ratio "
        "| queries (10 / 50 rows) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    searches: dict[str, list[float]] = {"all": [], "selective": []}
    search_baselines: dict[str, list[float]] = {"all": [], "selective": []}
    before: list[float] = []
    figures: list[Figure] = []
    for label, query, where, params, order, search in CASES:
        pairs = [part.split("=", 1) for part in query.split("&")]
        path = "/api/v1/papers/?" + "&".join(f"{key}={quote(value)}" for key, value in pairs)
        url = f"http://testserver{path}"

        def api(path: str = path) -> bytes:
            response = client.get(path)
            assert response.status_code == 200, response.content[:300]
            return response.content

        size = SEARCH_PAGE if search else 50

        def base(  # type: ignore[no-untyped-def]
            where=where, params=params, order=order, search=search, url=url, size=size, before=False
        ):
            return baseline(where, params, order, size, url, search, before)

        got, expected = json.loads(api()), json.loads(base())
        check(label, got, expected)
        for _ in range(3):
            api(), base()
        api_times, base_times, naive_times = [], [], []
        for _ in range(runs):
            api_times.append(timed(api)[0])
            base_times.append(timed(base)[0])
            if search:
                naive_times.append(timed(lambda base=base: base(before=True))[0])
        counts = []
        for size in (10, 50):
            with CaptureQueriesContext(connection) as context:
                client.get(re.sub(r"page_size=\d+", f"page_size={size}", path))
            counts.append(len(context.captured_queries))
        api_median, base_median = statistics.median(api_times), statistics.median(base_times)
        if search:
            groups = ["all"] + (["selective"] if got["count"] <= included * 0.25 else [])
            for group in groups:
                searches[group] += api_times
                search_baselines[group] += base_times
        slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        about = "about " if got.get("count_is_estimate") else ""
        note = f"{about}{got['count']} matches; {counts[0]} / {counts[1]} queries for 10 / 50 rows"
        if naive_times:
            note += (
                "; before issue 13 (the same document, SQL counting and ranking every "
                "match): median "
                f"{statistics.median(naive_times):.1f} ms, "
                f"p95 {percentile(naive_times, 0.95):.1f} ms"
            )
            before += naive_times
        newest = label == "list, newest first"
        figures += [
            Figure(
                f"api.{slug}.median",
                f"API {label}: median",
                api_median,
                "ms",
                "hand-written SQL + json.dumps, median",
                base_median,
                target="≤ 2x baseline" if newest else "",
                met=api_median <= 2 * base_median if newest else None,
                note=note,
            ),
            Figure(
                f"api.{slug}.p95",
                f"API {label}: p95",
                percentile(api_times, 0.95),
                "ms",
                "hand-written SQL + json.dumps, p95",
                percentile(base_times, 0.95),
                note=note,
            ),
        ]
        print(
            f"| {label} | {about}{got['count']} | {api_median:.1f} ms | "
            f"{percentile(api_times, 0.95):.1f} ms | "
            f"{base_median:.1f} ms | {percentile(base_times, 0.95):.1f} ms | "
            f"{api_median / base_median:.2f}x | {counts[0]} / {counts[1]} |"
        )
    print(
        f"\nsearch p95, all {len(searches['all'])} search requests: "
        f"{percentile(searches['all'], 0.95):.1f} ms; searches matching at most a quarter of "
        f"the papers ({len(searches['selective'])} requests): "
        f"{percentile(searches['selective'], 0.95):.1f} ms"
    )
    for group, label in (("all", "every search"), ("selective", "searches matching ≤ 25%")):
        if not searches[group]:
            continue
        p95 = percentile(searches[group], 0.95)
        figures.append(
            Figure(
                f"api.search.{group}.p95",
                f"API search p95, {label} ({len(searches[group])} requests)",
                p95,
                "ms",
                "hand-written SQL + json.dumps, p95 of the same searches",
                percentile(search_baselines[group], 0.95),
                target="≤ 50 ms",
                met=p95 <= 50,
            )
        )
    if before:
        figures.append(
            Figure(
                "api.search.before.p95",
                f"hand-written SQL counting and ranking every match, as before issue 13 "
                f"({len(before)} requests, same searches, same run), p95",
                percentile(before, 0.95),
                "ms",
                "hand-written SQL of today's search (capped count, ranking window), p95",
                percentile(search_baselines["all"], 0.95),
            )
        )
    return figures


def check(label: str, got: dict, expected: dict) -> None:
    """The baseline answers the same document (relevance to within float rounding)."""
    assert got["count"] == expected["count"], (label, got["count"], expected["count"])
    assert got.get("count_is_estimate") == expected.get("count_is_estimate"), label
    assert [r["id"] for r in got["results"]] == [r["id"] for r in expected["results"]], label
    for mine, theirs in zip(got["results"], expected["results"], strict=True):
        for key in mine:
            if key == "relevance" and mine[key] is not None:
                assert abs(mine[key] - theirs[key]) < 1e-5, (label, key)
            else:
                assert mine[key] == theirs[key], (label, mine["id"], key, mine[key], theirs[key])


if __name__ == "__main__":
    main()
