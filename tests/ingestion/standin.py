"""A real HTTP server on 127.0.0.1 standing in for arXiv's query API and OAI-PMH endpoint.

It serves Atom pages by `start`/`max_results` (search) and `id_list` (look-ups), and OAI-PMH
ListRecords pages by `resumptionToken`, built from `StandinPaper`s. Tests script misbehaviour
with `script` (responses served before the normal ones: a status with a body, a delay, raw
bytes) and read `requests` (what arrived, and when) to check paging and politeness.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape, quoteattr

from django.utils.dateparse import parse_datetime

from apps.papers.identifiers import parse_arxiv_id


@dataclass
class StandinPaper:
    """A paper as the stand-in serves it; `versions` holds each version's submission time."""

    arxiv_id: str
    title: str
    versions: list[str] = field(default_factory=lambda: ["2024-01-02T10:00:00Z"])
    authors: list[tuple[str, str]] = field(default_factory=lambda: [("Ada Lovelace", "")])
    abstract: str = "We study large language models."
    categories: list[str] = field(default_factory=lambda: ["cs.SE", "cs.AI"])
    doi: str = ""
    journal_ref: str = ""
    comment: str = ""
    license: str = "http://creativecommons.org/licenses/by/4.0/"

    @property
    def version(self) -> int:
        return len(self.versions)


@dataclass
class Request:
    """One request the stand-in received."""

    path: str
    params: dict[str, str]
    at: float  # time.monotonic() when it arrived
    ended: float = 0.0  # when its response was written


ATOM_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
    "  <id>https://arxiv.org/api/standin</id>\n  <title>arXiv Query</title>\n"
    "  <updated>2026-11-24T00:00:00Z</updated>\n"
)


def atom_entry(paper: StandinPaper) -> str:
    """An Atom entry in the shape the arXiv query API writes it."""
    authors = "".join(
        f"    <author>\n      <name>{escape(name)}</name>\n"
        + (f"      <arxiv:affiliation>{escape(aff)}</arxiv:affiliation>\n" if aff else "")
        + "    </author>\n"
        for name, aff in paper.authors
    )
    extra = ""
    if paper.doi:
        extra += f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>\n"
    if paper.journal_ref:
        extra += f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>\n"
    if paper.comment:
        extra += f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>\n"
    categories = "".join(
        f'    <category term="{c}" scheme="http://arxiv.org/schemas/atom"/>\n'
        for c in paper.categories
    )
    return (
        "  <entry>\n"
        f"    <id>http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}</id>\n"
        f"    <updated>{paper.versions[-1]}</updated>\n"
        f"    <published>{paper.versions[0]}</published>\n"
        f"    <title>{escape(paper.title)}</title>\n"
        f"    <summary>{escape(paper.abstract)}</summary>\n"
        f"{authors}{extra}"
        f'    <link href="http://arxiv.org/abs/{paper.arxiv_id}v{paper.version}" rel="alternate"'
        ' type="text/html"/>\n'
        f'    <arxiv:primary_category term="{paper.categories[0]}"'
        ' scheme="http://arxiv.org/schemas/atom"/>\n'
        f"{categories}"
        "  </entry>\n"
    )


def atom_feed(papers: list[StandinPaper], *, total: int, start: int, per_page: int) -> bytes:
    """A whole Atom page."""
    return (
        ATOM_HEAD
        + f"  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
        + f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        + f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>\n"
        + "".join(atom_entry(p) for p in papers)
        + "</feed>\n"
    ).encode()


def error_feed(message: str) -> bytes:
    """arXiv's error feed: one entry titled Error, its id under /api/errors#."""
    return (
        ATOM_HEAD
        + "  <opensearch:totalResults>1</opensearch:totalResults>\n"
        + "  <opensearch:startIndex>0</opensearch:startIndex>\n"
        + "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>\n"
        + "  <entry>\n    <id>http://arxiv.org/api/errors#incorrect_id_format</id>\n"
        + "    <title>Error</title>\n"
        + f"    <summary>{escape(message)}</summary>\n"
        + "    <updated>2026-11-24T00:00:00-05:00</updated>\n"
        + '    <link href="http://arxiv.org/api/errors#x" rel="alternate" type="text/html"/>\n'
        + "    <author>\n      <name>arXiv api core</name>\n    </author>\n"
        + "  </entry>\n</feed>\n"
    ).encode()


def raw_record(paper: StandinPaper) -> str:
    """An OAI-PMH record in metadataPrefix=arXivRaw, every version with its RFC 2822 date."""
    versions = "".join(
        f'<version version="v{n}"><date>{format_datetime(parse_datetime(v), usegmt=True)}'
        "</date><size>100kb</size><source_type>D</source_type></version>"
        for n, v in enumerate(paper.versions, start=1)
    )
    authors = ", ".join(name for name, _ in paper.authors)
    optional = ""
    if paper.doi:
        optional += f"<doi>{escape(paper.doi)}</doi>"
    if paper.journal_ref:
        optional += f"<journal-ref>{escape(paper.journal_ref)}</journal-ref>"
    if paper.comment:
        optional += f"<comments>{escape(paper.comment)}</comments>"
    return (
        f"<record><header><identifier>oai:arXiv.org:{paper.arxiv_id}</identifier>"
        f"<datestamp>{paper.versions[-1][:10]}</datestamp><setSpec>cs</setSpec></header>"
        '<metadata><arXivRaw xmlns="http://arxiv.org/OAI/arXivRaw/">'
        f"<id>{paper.arxiv_id}</id><submitter>Someone</submitter>{versions}"
        f"<title>{escape(paper.title)}</title><authors>{escape(authors)}</authors>"
        f"<categories>{' '.join(paper.categories)}</categories>{optional}"
        f"<license>{escape(paper.license)}</license>"
        f"<abstract>{escape(paper.abstract)}</abstract></arXivRaw></metadata></record>\n"
    )


OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
)


def oai_page(
    records: list[str],
    *,
    token: str = "",
    size: int | None = None,
    response_date: str = "2026-11-24T12:00:00Z",
) -> bytes:
    """A ListRecords page; an empty `token` marks the last page (as arXiv writes it)."""
    size_attr = f" completeListSize={quoteattr(str(size))}" if size is not None else ""
    resumption = f"<resumptionToken{size_attr}>{escape(token)}</resumptionToken>"
    return (
        OAI_HEAD
        + f"<responseDate>{response_date}</responseDate>\n"
        + '<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>\n'
        + "<ListRecords>\n"
        + "".join(records)
        + resumption
        + "</ListRecords>\n</OAI-PMH>\n"
    ).encode()


def oai_error(code: str, message: str, response_date: str = "2026-11-24T12:00:00Z") -> bytes:
    return (
        OAI_HEAD
        + f"<responseDate>{response_date}</responseDate>\n"
        + '<request verb="ListRecords">https://oaipmh.arxiv.org/oai</request>\n'
        + f'<error code="{code}">{escape(message)}</error>\n</OAI-PMH>\n'
    ).encode()


@dataclass
class Scripted:
    """A response served before the normal ones: status and body, after `delay` seconds."""

    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    path: str = ""  # only for requests to this path ("" = any)


@dataclass
class Hold:
    """Holds the `number`-th request to `path` (1-based) until the test sets `release`:
    `arrived` is set once it is held, so a test acts while that page is surely in flight
    (kills a worker, say) instead of guessing how long a delay is long enough."""

    path: str
    number: int
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class Standin:
    """The stand-in's state: papers, scripted responses, and the request log."""

    def __init__(self) -> None:
        self.papers: list[StandinPaper] = []
        self.oai_page_size = 2
        self.response_date = "2026-11-24T12:00:00Z"
        self.script: deque[Scripted] = deque()
        self.requests: list[Request] = []
        self.page_delay = 0.0  # seconds every normal response waits (to kill workers mid-run)
        self.page_started = threading.Event()  # set when a request arrives
        self.holds: list[Hold] = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "Standin":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def hold(self, path: str, number: int) -> Hold:
        """Hold the `number`-th request to `path` until the returned Hold is released."""
        held = Hold(path, number)
        self.holds.append(held)
        return held

    # --- answers -------------------------------------------------------------------------

    def answer(self, path: str, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if path == "/api/query":
            return self._query(params)
        if path == "/oai":
            return self._oai(params)
        return 404, b"not found", {}

    def _query(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if "max_results" not in params:
            return 400, error_feed("max_results must be given (the stand-in insists)"), {}
        start, per_page = int(params.get("start", 0)), int(params["max_results"])
        if params.get("id_list"):
            by_id = {p.arxiv_id: p for p in self.papers}
            found = []
            for raw in params["id_list"].split(","):
                parsed = parse_arxiv_id(raw)
                if parsed is None:
                    return 400, error_feed(f"incorrect id format for {raw}"), {}
                if parsed[0] in by_id:  # unknown ids are dropped silently, as arXiv does
                    found.append(by_id[parsed[0]])
            return 200, atom_feed(found, total=len(found), start=0, per_page=len(found)), {}
        if params.get("search_query", "").startswith("bad:"):
            return 400, error_feed("malformed query: unknown field prefix"), {}
        page = self.papers[start : start + per_page]
        return 200, atom_feed(page, total=len(self.papers), start=start, per_page=per_page), {}

    def _oai(self, params: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        if params.get("verb") != "ListRecords":
            return 200, oai_error("badVerb", "Illegal verb"), {}
        token = params.get("resumptionToken", "")
        if token:
            if not token.startswith("page-"):
                return 200, oai_error("badResumptionToken", "Token expired or invalid"), {}
            offset = int(token.removeprefix("page-"))
        else:
            if params.get("metadataPrefix") != "arXivRaw":
                return 200, oai_error("cannotDisseminateFormat", "Unknown format"), {}
            offset = 0
        selected = self.papers
        if params.get("from"):
            selected = [p for p in self.papers if p.versions[-1][:10] >= params["from"]]
        if not selected:
            return 200, oai_error("noRecordsMatch", "No records", self.response_date), {}
        page = selected[offset : offset + self.oai_page_size]
        next_offset = offset + self.oai_page_size
        next_token = f"page-{next_offset}" if next_offset < len(selected) else ""
        body = oai_page(
            [raw_record(p) for p in page],
            token=next_token,
            size=len(selected),
            response_date=self.response_date,
        )
        return 200, body, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                record = Request(parts.path, params, time.monotonic())
                with standin.lock:
                    standin.requests.append(record)
                    number = len(standin.requests_to(parts.path))
                    held = next(
                        (h for h in standin.holds if (h.path, h.number) == (parts.path, number)),
                        None,
                    )
                    scripted = None
                    for item in list(standin.script):
                        if not item.path or item.path == parts.path:
                            scripted = item
                            standin.script.remove(item)
                            break
                standin.page_started.set()
                if scripted is not None:
                    status, body, headers = scripted.status, scripted.body, scripted.headers
                    delay = scripted.delay
                else:
                    status, body, headers = standin.answer(parts.path, params)
                    delay = standin.page_delay
                if delay:
                    time.sleep(delay)
                if held is not None:
                    held.arrived.set()
                    held.release.wait(timeout=120)
                try:
                    self.send_response(status)
                    content_type = "application/atom+xml" if "api" in parts.path else "text/xml"
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                record.ended = time.monotonic()

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler
