"""The real OpenAlex client against the real stand-in server: batching, paging, retries on 429
and 5xx, OpenAlex's error answers, and an unknown single work (404 with an HTML page)."""

import itertools
import json
from pathlib import Path

import pytest

from apps.ingestion.arxiv.politeness import FilePoliteness
from apps.ingestion.openalex.client import MAX_DOIS, SELECT, OpenAlexClient
from apps.ingestion.openalex.errors import OpenAlexResponseError, OpenAlexUnavailableError
from tests.ingestion.openalex.standin import OpenAlexStandin, list_page, work
from tests.ingestion.standin import Scripted


def make_client(standin: OpenAlexStandin, tmp_path: Path, **options) -> OpenAlexClient:  # type: ignore[no-untyped-def]
    defaults = {"timeout": 0.5, "retries": 2, "backoff": 0.01}
    return OpenAlexClient(
        api_url=standin.url,
        politeness=FilePoliteness(path=tmp_path / "lock", interval=0.0),
        **{**defaults, **options},
    )


def test_one_request_asks_every_doi_of_a_batch(openalex: OpenAlexStandin, openalex_client) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [
        work(1, doi="10.48550/arXiv.2401.00001", cited_by=1),
        work(2, doi="10.1145/3695988", cited_by=50),
        work(3, doi="10.9999/other", cited_by=7),
    ]

    answer = openalex_client.works_by_doi(["10.48550/arxiv.2401.00001", "10.1145/3695988"])

    # not in the order asked: the most cited comes first
    assert [w["id"] for w in answer.works] == ["https://openalex.org/W2", "https://openalex.org/W1"]
    (sent,) = openalex.lookups()
    assert sent.params["filter"] == "doi:10.48550/arxiv.2401.00001|10.1145/3695988"
    assert sent.params["select"] == SELECT
    assert sent.params["mailto"] == "curators@example.org"
    assert sent.params["cursor"] == "*"
    assert "api_key" not in sent.params
    assert answer.as_of.isoformat() == "2026-12-02"  # the server's Date header
    assert set(answer.works[0]) <= set(SELECT.split(","))


def test_pages_are_followed_by_cursor_until_the_count_is_reached(  # type: ignore[no-untyped-def]
    openalex: OpenAlexStandin, tmp_path
) -> None:
    openalex.works = [work(n, doi=f"10.1/{n}", cited_by=n) for n in range(1, 6)]
    client = make_client(openalex, tmp_path, per_page=2)

    answer = client.works_by_doi([f"10.1/{n}" for n in range(1, 6)])

    assert sorted(w["id"] for w in answer.works) == [
        f"https://openalex.org/W{n}" for n in range(1, 6)
    ]
    assert [r.params["cursor"] for r in openalex.lookups()] == ["*", "c-2", "c-4"]
    assert [r.params["per_page"] for r in openalex.lookups()] == ["2", "2", "2"]
    assert answer.pages == 3


def test_a_next_cursor_on_the_last_page_leads_to_an_empty_page_and_stops(  # type: ignore[no-untyped-def]
    openalex: OpenAlexStandin, tmp_path
) -> None:
    openalex.works = [work(1, doi="10.1/1"), work(2, doi="10.1/2")]
    # The count said three (a work gone meanwhile); the next page is empty, without a cursor.
    first = list_page([work(1, doi="10.1/1"), work(2, doi="10.1/2")], count=3, next_cursor="c-2")
    openalex.script.append(
        Scripted(200, json.dumps(first).encode(), headers={"Content-Type": "application/json"})
    )
    client = make_client(openalex, tmp_path, per_page=2)

    answer = client.works_by_doi(["10.1/1", "10.1/2"])

    assert len(answer.works) == 2
    assert [r.params["cursor"] for r in openalex.lookups()] == ["*", "c-2"]


def test_more_than_fifty_dois_or_a_pipe_are_refused_before_asking(openalex_client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="at most 50"):
        openalex_client.works_by_doi([f"10.1/{n}" for n in range(MAX_DOIS + 1)])
    with pytest.raises(ValueError, match="cannot go in a filter"):
        openalex_client.works_by_doi(["10.1/a|b"])


def test_429_with_retry_after_and_503_are_retried(openalex: OpenAlexStandin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [work(1, doi="10.1/1")]
    openalex.script.append(Scripted(429, b"Too Many Requests", headers={"Retry-After": "2"}))
    openalex.script.append(Scripted(503, b"<html>Service Unavailable</html>"))
    slept: list[float] = []
    client = make_client(openalex, tmp_path, sleep=slept.append)

    answer = client.works_by_doi(["10.1/1"])

    assert [w["id"] for w in answer.works] == ["https://openalex.org/W1"]
    assert len(openalex.lookups()) == 3
    assert slept[0] >= 2  # Retry-After is a floor
    assert slept[1] < 1  # the 503 only waits the (tiny) backoff


def test_retry_after_as_an_http_date_is_honoured(openalex: OpenAlexStandin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [work(1, doi="10.1/1")]
    openalex.script.append(
        Scripted(429, b"", headers={"Retry-After": "Fri, 31 Dec 2100 23:59:59 GMT"})
    )
    slept: list[float] = []
    client = make_client(openalex, tmp_path, sleep=slept.append, backoff_max=5)

    client.works_by_doi(["10.1/1"])

    assert slept == [5]  # far in the future: capped at backoff_max


def test_5xx_every_time_gives_up_as_unavailable(openalex: OpenAlexStandin, openalex_client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        openalex.script.append(Scripted(502, b"Bad Gateway"))

    with pytest.raises(OpenAlexUnavailableError, match="after 3 attempts: HTTP 502"):
        openalex_client.works_by_doi(["10.1/1"])
    assert len(openalex.lookups()) == 3


def test_an_html_page_instead_of_json_is_retried(
    openalex: OpenAlexStandin, openalex_client
) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [work(1, doi="10.1/1")]
    openalex.script.append(Scripted(200, b"<html><body>Proxy says hello</body></html>"))

    answer = openalex_client.works_by_doi(["10.1/1"])

    assert len(answer.works) == 1
    assert len(openalex.lookups()) == 2


def test_a_silent_server_times_out_and_is_retried(
    openalex: OpenAlexStandin, openalex_client
) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [work(1, doi="10.1/1")]
    openalex.script.append(Scripted(200, b"{}", delay=1.5))

    answer = openalex_client.works_by_doi(["10.1/1"])

    assert len(answer.works) == 1


def test_a_bad_select_is_openalexs_400_with_its_message(
    openalex: OpenAlexStandin, openalex_client
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(OpenAlexResponseError, match="nonsense is not a valid select field"):
        openalex_client.get_json("/works", {"filter": "doi:10.1/1", "select": "id,nonsense"})
    assert len(openalex.requests) == 1  # not retried


def test_an_unknown_single_work_is_none_not_an_error(
    openalex: OpenAlexStandin, openalex_client
) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [work(7, doi="10.48550/arXiv.2106.09685", cited_by=3)]

    by_id = openalex_client.work("W7")
    by_doi = openalex_client.work("doi:10.48550/ARXIV.2106.09685")
    missing = openalex_client.work("doi:10.48550/arxiv.0000.00000")

    assert by_id is not None
    assert by_id[0]["cited_by_count"] == 3
    assert by_doi is not None
    assert by_doi[0]["id"] == "https://openalex.org/W7"
    assert missing is None
    assert openalex.requests[-1].path == "/works/doi:10.48550/arxiv.0000.00000"


def test_a_404_on_a_list_is_an_error(openalex: OpenAlexStandin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(openalex, tmp_path)
    client.api_url = f"{openalex.url}/nowhere"

    with pytest.raises(OpenAlexResponseError, match="HTTP 404"):
        client.works_by_doi(["10.1/1"])


def test_the_api_key_is_sent_but_never_shown(openalex: OpenAlexStandin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        openalex.script.append(Scripted(500, b"oops"))
    client = make_client(openalex, tmp_path, api_key="sekrit-key")

    with pytest.raises(OpenAlexUnavailableError) as raised:
        client.works_by_doi(["10.1/1"])

    assert openalex.requests[0].params["api_key"] == "sekrit-key"
    assert "sekrit" not in str(raised.value)


def test_requests_are_spaced_by_the_politeness_interval(
    openalex: OpenAlexStandin, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    openalex.works = [work(1, doi="10.1/1")]
    client = OpenAlexClient(
        api_url=openalex.url,
        politeness=FilePoliteness(path=tmp_path / "lock", interval=0.2),
        timeout=0.5,
    )

    for _ in range(3):
        client.works_by_doi(["10.1/1"])

    starts = [r.at for r in openalex.lookups()]
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(starts))


def test_an_unreachable_politeness_lock_is_openalex_trouble_not_arxivs(  # type: ignore[no-untyped-def]
    openalex: OpenAlexStandin,
) -> None:
    from apps.ingestion.arxiv.errors import ArxivUnavailableError
    from apps.ingestion.arxiv.politeness import RedisPoliteness

    politeness = RedisPoliteness(
        url="redis://127.0.0.1:1/0",  # nothing listens there
        interval=0.1,
        name="sellm:openalex:test",
        service="OpenAlex",
        unavailable=OpenAlexUnavailableError,
    )
    client = OpenAlexClient(
        api_url=openalex.url, politeness=politeness, retries=1, backoff=0.01, timeout=0.5
    )

    with pytest.raises(OpenAlexUnavailableError, match="politeness lock") as raised:
        client.works_by_doi(["10.1/1"])

    assert not isinstance(raised.value, ArxivUnavailableError)
    assert openalex.lookups() == []  # nothing was sent without a slot
