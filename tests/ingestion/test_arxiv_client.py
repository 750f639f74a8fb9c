"""The real arXiv client against the real stand-in server: paging, retries, timeouts, the size
cap, arXiv's error reports, and XML that must be refused."""

import time
from pathlib import Path

import pytest

from apps.ingestion.arxiv.client import ArxivClient
from apps.ingestion.arxiv.errors import (
    ArxivApiError,
    ArxivResponseError,
    ArxivUnavailableError,
    UnsafeXMLError,
)
from apps.ingestion.arxiv.politeness import FilePoliteness
from tests.ingestion.standin import Scripted, Standin, StandinPaper, atom_feed, error_feed

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.00001v1</id>
<title>&lol9;</title></entry></feed>"""


def external_entity(secret: Path) -> bytes:
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file://{secret}">]>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><entry>'
        "<id>http://arxiv.org/abs/2401.00001v1</id><title>&xxe;</title></entry></feed>"
    ).encode()


def papers(n: int) -> list[StandinPaper]:
    return [StandinPaper(f"2401.{i:05d}", f"Paper {i}") for i in range(1, n + 1)]


def test_pages_are_asked_by_start_and_max_results(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(5)

    first = arxiv_client.fetch_atom_page(search_query="cat:cs.SE", start=0, max_results=2)
    last = arxiv_client.fetch_atom_page(search_query="cat:cs.SE", start=4, max_results=2)

    assert [r.arxiv_id for r in first.records] == ["2401.00001", "2401.00002"]
    assert [r.arxiv_id for r in last.records] == ["2401.00005"]
    assert (first.total, last.start) == (5, 4)
    sent = standin.requests_to("/api/query")
    assert [(r.params["start"], r.params["max_results"]) for r in sent] == [("0", "2"), ("4", "2")]
    assert sent[0].params["sortBy"] == "submittedDate"


def test_503_then_success_is_retried(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(1)
    standin.script.append(Scripted(503, b"Service Unavailable"))

    page = arxiv_client.fetch_atom_page(search_query="all:x")

    assert [r.arxiv_id for r in page.records] == ["2401.00001"]
    assert len(standin.requests) == 2


def test_rate_exceeded_and_429_are_retried_with_retry_after(standin: Standin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(1)
    standin.script.append(Scripted(200, b"Rate exceeded."))
    standin.script.append(Scripted(429, b"Too Many Requests", headers={"Retry-After": "1"}))
    slept: list[float] = []
    client = ArxivClient(
        api_url=f"{standin.url}/api/query",
        oai_url=f"{standin.url}/oai",
        politeness=FilePoliteness(path=tmp_path / "lock", interval=0),
        retries=3,
        backoff=0.01,
        sleep=slept.append,
    )

    page = client.fetch_atom_page(search_query="all:x")

    assert len(page.records) == 1
    assert len(standin.requests) == 3
    assert slept[0] < 0.02  # backoff only after "Rate exceeded."
    assert slept[1] >= 1.0  # Retry-After honoured after the 429


def test_backoff_grows_exponentially_with_jitter(standin: Standin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    for _ in range(4):
        standin.script.append(Scripted(502, b"Bad Gateway"))
    slept: list[float] = []
    client = ArxivClient(
        api_url=f"{standin.url}/api/query",
        oai_url=f"{standin.url}/oai",
        politeness=FilePoliteness(path=tmp_path / "lock", interval=0),
        retries=3,
        backoff=1.0,
        sleep=slept.append,
    )

    with pytest.raises(ArxivUnavailableError, match=r"after 4 attempts.*HTTP 502"):
        client.fetch_atom_page(search_query="all:x")

    assert len(slept) == 3
    for attempt, delay in enumerate(slept):
        ceiling = 2**attempt
        assert ceiling / 2 <= delay <= ceiling
    assert len(set(slept)) == 3


def test_a_silent_server_times_out_and_then_succeeds(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(1)
    standin.script.append(Scripted(200, atom_feed([], total=0, start=0, per_page=0), delay=2))

    page = arxiv_client.fetch_atom_page(search_query="all:x")

    assert len(page.records) == 1
    silent, retried = standin.requests
    # It asked again while the silent answer was still being held back (2 s): it gave up on
    # its timeout (0.5 s) and did not wait for the answer. A condition, not a stopwatch: a
    # busy machine may take any time for the rest.
    assert silent.ended == 0.0 or retried.at < silent.ended  # 0.0: still held back now


def test_timeouts_every_time_raise_unavailable(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        standin.script.append(Scripted(200, b"", delay=1.5))

    with pytest.raises(ArxivUnavailableError, match="timed out"):
        arxiv_client.fetch_atom_page(search_query="all:x")
    assert len(standin.requests) == 3


def test_error_feed_carries_arxivs_message(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ArxivApiError) as caught:
        arxiv_client.fetch_atom_page(search_query="bad:thing")

    assert caught.value.message == "malformed query: unknown field prefix"
    assert "arXiv says: malformed query" in str(caught.value)


def test_error_feed_with_status_200_is_recognised(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.script.append(Scripted(200, error_feed("incorrect id format for 1234.5678v")))

    with pytest.raises(ArxivApiError, match=r"incorrect id format for 1234\.5678v"):
        arxiv_client.fetch_atom_page(id_list=["1234.5678"])


def test_truncated_xml_fails_the_page_instead_of_yielding_part_of_it(
    standin: Standin, arxiv_client
) -> None:  # type: ignore[no-untyped-def]
    whole = atom_feed(papers(3), total=3, start=0, per_page=3)
    standin.script.extend([Scripted(200, whole[: len(whole) * 2 // 3])] * 3)

    with pytest.raises(ArxivUnavailableError, match="after 3 attempts: malformed or truncated"):
        arxiv_client.fetch_atom_page(search_query="all:x")


def test_garbage_is_asked_again_like_a_503(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(3)
    standin.script.extend(
        [
            Scripted(200, b"<html><body>Bad gateway</body></html>"),  # a proxy's page
            Scripted(200, b"\x00\x9c\xffnot xml at all"),
            Scripted(200, b""),
        ]
    )
    client = ArxivClient(
        api_url=arxiv_client.api_url,
        oai_url=arxiv_client.oai_url,
        politeness=arxiv_client.politeness,
        retries=3,
        backoff=0.01,
    )

    page = client.fetch_atom_page(search_query="all:x")

    assert len(page.records) == 3
    assert len(standin.requests) == 4


def test_billion_laughs_is_refused_quickly(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.script.append(Scripted(200, BILLION_LAUGHS))

    started = time.monotonic()
    with pytest.raises(UnsafeXMLError, match="DTD"):
        arxiv_client.fetch_atom_page(search_query="all:x")
    assert time.monotonic() - started < 1


def test_external_entities_are_refused_and_never_read(
    standin: Standin, arxiv_client, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    standin.script.append(Scripted(200, external_entity(secret)))

    with pytest.raises(UnsafeXMLError) as caught:
        arxiv_client.fetch_atom_page(search_query="all:x")
    assert "TOP-SECRET" not in str(caught.value)


def test_responses_over_the_size_cap_are_refused(standin: Standin, tmp_path) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(50)
    client = ArxivClient(
        api_url=f"{standin.url}/api/query",
        oai_url=f"{standin.url}/oai",
        politeness=FilePoliteness(path=tmp_path / "lock", interval=0),
        max_bytes=4096,
    )

    with pytest.raises(ArxivResponseError, match="over the cap of 4096"):
        client.fetch_atom_page(search_query="all:x", max_results=50)


def test_max_results_is_always_sent_and_capped(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    arxiv_client.fetch_atom_page(search_query="all:x", max_results=50_000)
    arxiv_client.fetch_atom_page(id_list=["2401.00001"])

    assert [r.params["max_results"] for r in standin.requests] == ["2000", "100"]


def test_oai_pages_follow_resumption_tokens(standin: Standin, arxiv_client) -> None:  # type: ignore[no-untyped-def]
    standin.papers = papers(3)

    first = arxiv_client.fetch_oai_page(oai_set="cs", from_date="2024-01-01")
    second = arxiv_client.fetch_oai_page(resumption_token=first.resumption_token)

    assert [r.arxiv_id for r in first.records] == ["2401.00001", "2401.00002"]
    assert [r.arxiv_id for r in second.records] == ["2401.00003"]
    assert (first.resumption_token, second.resumption_token) == ("page-2", "")
    assert first.complete_list_size == 3
    sent = standin.requests_to("/oai")
    assert sent[0].params == {
        "verb": "ListRecords",
        "metadataPrefix": "arXivRaw",
        "set": "cs",
        "from": "2024-01-01",
    }
    assert sent[1].params == {"verb": "ListRecords", "resumptionToken": "page-2"}


def test_oai_errors_are_raised_and_no_records_match_is_empty(
    standin: Standin, arxiv_client
) -> None:  # type: ignore[no-untyped-def]
    empty = arxiv_client.fetch_oai_page(oai_set="cs")  # the stand-in holds no papers

    with pytest.raises(ArxivApiError) as caught:
        arxiv_client.fetch_oai_page(resumption_token="expired")

    assert empty.records == []
    assert empty.resumption_token == ""
    assert caught.value.code == "badResumptionToken"
    assert "Token expired or invalid" in str(caught.value)


def test_an_unreachable_politeness_lock_is_transient_not_skipped(standin: Standin) -> None:
    """Without its lock the client must not call arXiv at all; it reports a retryable error."""
    from apps.ingestion.arxiv.politeness import RedisPoliteness

    client = ArxivClient(
        api_url=f"{standin.url}/api/query",
        oai_url=f"{standin.url}/oai",
        politeness=RedisPoliteness(url="redis://127.0.0.1:1/4", interval=0.1),
        retries=1,
        backoff=0.01,
    )

    with pytest.raises(ArxivUnavailableError, match=r"politeness lock \(Redis\) is unavailable"):
        client.fetch_atom_page(search_query="all:x")
    assert standin.requests == []
