"""Turn arXiv's answers into `PaperRecord`s: the query API's Atom feed and OAI-PMH ListRecords
pages (metadataPrefix arXivRaw, arXiv or oai_dc).

Untrusted XML is parsed with defusedxml (expat underneath, so C speed): a document with a DTD
is refused before anything is expanded (billion laughs, external entities, external DTDs),
nothing is ever fetched from the network, and the body is size-capped by the client before it
gets here. A truncated or malformed document raises — a page is either parsed whole or fails;
there is no "recover" mode that would silently drop its tail.

arXiv's own error reports become `ArxivApiError` (the Atom error feed; OAI-PMH `<error>`s other
than `noRecordsMatch`, which is simply an empty page). An entry that cannot become a record
(no id, no title) is reported per entry and the others still land.

Text is kept as written (LaTeX and non-ASCII included); the upsert service collapses the hard
line wraps.
"""

import email.utils
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import fromstring as defused_fromstring
from django.conf import settings

from apps.ingestion.arxiv.errors import (
    ArxivApiError,
    ArxivResponseError,
    GarbledResponseError,
    UnsafeXMLError,
)
from apps.papers.identifiers import parse_arxiv_id
from apps.papers.records import AuthorRecord, PaperRecord, VersionRecord

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
RAW = "{http://arxiv.org/OAI/arXivRaw/}"
ARXIV_OAI = "{http://arxiv.org/OAI/arXiv/}"
OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
DC = "{http://purl.org/dc/elements/1.1/}"

API_ERROR_MARK = "/api/errors"
NO_RECORDS = "noRecordsMatch"


@dataclass(slots=True)
class EntryError:
    """An entry of a page that could not become a record, and why."""

    label: str
    reason: str


@dataclass(slots=True)
class AtomPage:
    """One page of the query API: its records and the feed's paging numbers."""

    records: list[PaperRecord] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)
    total: int = 0
    start: int = 0
    per_page: int = 0


@dataclass(slots=True)
class OaiPage:
    """One OAI-PMH ListRecords page: its records, when arXiv answered, and the next token."""

    records: list[PaperRecord] = field(default_factory=list)
    errors: list[EntryError] = field(default_factory=list)
    response_date: str = ""
    resumption_token: str = ""
    complete_list_size: int | None = None
    deleted: int = 0


# --- XML -------------------------------------------------------------------------------


def parse_xml(content: bytes) -> ET.Element:
    """Parse untrusted XML; refuse DTDs and entities, fail loudly on anything malformed."""
    if not content.strip():
        raise GarbledResponseError("empty response where XML was expected")
    try:
        return defused_fromstring(
            content, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden) as error:
        raise UnsafeXMLError(
            f"refused XML with a DTD or entity declarations ({type(error).__name__})"
        ) from error
    except ET.ParseError as error:
        if _looks_binary(content):
            raise GarbledResponseError(
                f"binary data ({len(content):,} bytes), not XML: neither an Atom feed nor an "
                "OAI-PMH response"
            ) from error
        snippet = "".join(
            ch if ch.isprintable() else " " for ch in content[:60].decode("utf-8", "replace")
        )
        raise GarbledResponseError(
            f"malformed or truncated XML ({error}); the response began {snippet!r}"
        ) from error


def _looks_binary(content: bytes) -> bool:
    """NUL bytes, or mostly bytes no text has: a PNG, a gzip file, a PDF (never echoed)."""
    head = content[:8192]
    if b"\x00" in head:
        return True
    text = head.decode("utf-8", "replace")
    odd = sum(1 for ch in text if ch == "\ufffd" or (not ch.isprintable() and ch not in "\r\n\t"))
    return odd > len(text) // 10


def cut_oversized_entries(
    content: bytes, tag: bytes, max_bytes: int | None = None
) -> tuple[bytes, list[EntryError]]:
    """Take out of `content` every `<tag>…</tag>` element over `max_bytes`
    (ARXIV_MAX_ENTRY_BYTES), each reported as an EntryError, before any XML is built.

    A parsed element costs many times its bytes (the tree, then the record's strings), so
    a single 50 MB entry would need most of a gigabyte; cut out first, it costs a scan and
    fails alone while the rest of the page lands. Tags only appear unescaped as markup, so
    a plain byte search finds the elements.
    """
    limit = settings.ARXIV_MAX_ENTRY_BYTES if max_bytes is None else max_bytes
    opening, closing = b"<" + tag, b"</" + tag + b">"
    kept: list[bytes] = []
    errors: list[EntryError] = []
    position = start = 0
    while (start := content.find(opening, position)) != -1:
        after = content[start + len(opening) : start + len(opening) + 1]
        end = content.find(closing, start)
        if after not in (b">", b" ", b"\n", b"\r", b"\t") or end == -1:
            break  # not this element, or unclosed: the XML parser will say what is wrong
        end += len(closing)
        if end - start > limit:
            kept.append(content[position:start])
            errors.append(EntryError(_label_of(content[start : start + 4096], tag), (
                f"the entry is {end - start:,} bytes; the limit is {limit:,} bytes "
                "(ARXIV_MAX_ENTRY_BYTES)"
            )))  # fmt: skip
            position = end
        else:
            kept.append(content[position:end])
            position = end
    if not errors:
        return content, []
    kept.append(content[position:])
    return b"".join(kept), errors


def _label_of(head: bytes, tag: bytes) -> str:
    """The entry's id (Atom `<id>`, OAI `<identifier>`) from its first bytes, if it is there."""
    name = b"id" if tag == b"entry" else b"identifier"
    match = re.search(rb"<" + name + rb">\s*([^<]{1,200}?)\s*</" + name + rb">", head)
    return match.group(1).decode("utf-8", "replace") if match else f"an oversized <{tag.decode()}>"


def detect_and_parse(content: bytes) -> AtomPage | OaiPage:
    """Parse a saved response of either kind, recognised by its root element."""
    content, cut = cut_oversized_entries(content, b"entry")
    content, cut_records = cut_oversized_entries(content, b"record")
    root = parse_xml(content)
    page: AtomPage | OaiPage
    if root.tag == f"{ATOM}feed":
        page = _atom_from_root(root)
    elif root.tag == f"{OAI}OAI-PMH":
        page = _oai_from_root(root)
    else:
        raise ArxivResponseError(
            f"not an arXiv Atom feed or OAI-PMH response (root element {root.tag!r})"
        )
    page.errors[:0] = cut + cut_records
    return page


# --- Atom (query API) ------------------------------------------------------------------


def parse_atom(content: bytes) -> AtomPage:
    """Parse one query API page; raise ArxivApiError on arXiv's error feed."""
    content, cut = cut_oversized_entries(content, b"entry")
    root = parse_xml(content)
    if root.tag != f"{ATOM}feed":
        raise GarbledResponseError(f"expected an Atom feed, got root element {root.tag!r}")
    page = _atom_from_root(root)
    page.errors[:0] = cut
    return page


def _atom_from_root(root: ET.Element) -> AtomPage:
    entries = root.findall(f"{ATOM}entry")
    for entry in entries:
        entry_id = entry.findtext(f"{ATOM}id") or ""
        if API_ERROR_MARK in entry_id:
            message = _text(entry, f"{ATOM}summary") or _text(entry, f"{ATOM}title") or entry_id
            raise ArxivApiError(message)
    page = AtomPage(
        total=_int(root.findtext(f"{OPENSEARCH}totalResults"), default=len(entries)),
        start=_int(root.findtext(f"{OPENSEARCH}startIndex")),
        per_page=_int(root.findtext(f"{OPENSEARCH}itemsPerPage"), default=len(entries)),
    )
    for position, entry in enumerate(entries):
        try:
            page.records.append(_atom_record(entry))
        except ValueError as error:
            label = entry.findtext(f"{ATOM}id") or f"entry {page.start + position + 1}"
            page.errors.append(EntryError(label.strip(), str(error)))
    return page


def _atom_record(entry: ET.Element) -> PaperRecord:
    raw_id = _text(entry, f"{ATOM}id")
    parsed = parse_arxiv_id(raw_id)
    if parsed is None:
        raise ValueError(f"no arXiv id in <id>{raw_id[:80]}</id>")
    arxiv_id, version = parsed
    title = _text(entry, f"{ATOM}title")
    if not title.strip():
        raise ValueError("entry has no title")
    published = _iso_datetime(_text(entry, f"{ATOM}published"))
    updated = _iso_datetime(_text(entry, f"{ATOM}updated")) or published
    authors = []
    for author in entry.iterfind(f"{ATOM}author"):
        affiliations = [a.text.strip() for a in author.iterfind(f"{ARXIV}affiliation") if a.text]
        authors.append(AuthorRecord(_text(author, f"{ATOM}name"), "; ".join(affiliations)))
    categories = [c.get("term", "") for c in entry.iterfind(f"{ATOM}category")]
    primary = entry.find(f"{ARXIV}primary_category")
    primary_code = primary.get("term", "") if primary is not None else ""
    versions = []
    if version is not None:
        if version > 1 and published is not None:
            versions.append(VersionRecord(1, published))
        versions.append(VersionRecord(version, updated))
    label = f"arXiv {arxiv_id}v{version}" if version else f"arXiv {arxiv_id}"
    return PaperRecord(
        title=title,
        authors=authors,
        abstract=_text(entry, f"{ATOM}summary"),
        arxiv_id=arxiv_id,
        arxiv_version=version,
        arxiv_versions=versions,
        doi=_first_doi(_text(entry, f"{ARXIV}doi")),
        published_at=published,
        revised_at=updated,
        primary_category=primary_code or (categories[0] if categories else ""),
        categories=[primary_code, *(c for c in categories if c != primary_code)]
        if primary_code
        else categories,
        journal_ref=_text(entry, f"{ARXIV}journal_ref"),
        comment=_text(entry, f"{ARXIV}comment"),
        license=_text(entry, f"{ATOM}rights"),
        label=label,
    )


# --- OAI-PMH ---------------------------------------------------------------------------


def parse_oai(content: bytes) -> OaiPage:
    """Parse one OAI-PMH page; raise ArxivApiError on an `<error>` (noRecordsMatch: empty)."""
    content, cut = cut_oversized_entries(content, b"record")
    root = parse_xml(content)
    if root.tag != f"{OAI}OAI-PMH":
        raise GarbledResponseError(f"expected an OAI-PMH response, got root element {root.tag!r}")
    page = _oai_from_root(root)
    page.errors[:0] = cut
    return page


def _oai_from_root(root: ET.Element) -> OaiPage:
    page = OaiPage(response_date=_text(root, f"{OAI}responseDate").strip())
    errors = root.findall(f"{OAI}error")
    real = [e for e in errors if e.get("code") != NO_RECORDS]
    if real:
        first = real[0]
        raise ArxivApiError(_text_of(first).strip() or "(no message)", code=first.get("code", "?"))
    if errors:
        return page  # noRecordsMatch: nothing changed in the asked range
    container = root.find(f"{OAI}ListRecords")
    if container is None:
        container = root.find(f"{OAI}GetRecord")
    if container is None:
        raise ArxivResponseError("OAI-PMH response has neither ListRecords nor GetRecord")
    for position, record in enumerate(container.iterfind(f"{OAI}record")):
        header = record.find(f"{OAI}header")
        identifier = _text(header, f"{OAI}identifier") if header is not None else ""
        if header is not None and header.get("status") == "deleted":
            page.deleted += 1
            continue
        try:
            page.records.append(_oai_record(record, identifier))
        except ValueError as error:
            page.errors.append(EntryError(identifier or f"record {position + 1}", str(error)))
    token = container.find(f"{OAI}resumptionToken")
    if token is not None:
        page.resumption_token = (token.text or "").strip()
        size = token.get("completeListSize")
        page.complete_list_size = int(size) if size and size.isdigit() else None
    return page


def _oai_record(record: ET.Element, identifier: str) -> PaperRecord:
    metadata = record.find(f"{OAI}metadata")
    if metadata is None or not len(metadata):
        raise ValueError("record has no metadata")
    body = metadata[0]
    if body.tag == f"{RAW}arXivRaw":
        return _raw_record(body)
    if body.tag == f"{ARXIV_OAI}arXiv":
        return _arxiv_format_record(body)
    if body.tag == f"{OAI_DC}dc":
        return _dc_record(body, identifier)
    raise ValueError(f"unsupported metadata format {body.tag!r}")


def _raw_record(body: ET.Element) -> PaperRecord:
    """metadataPrefix=arXivRaw: every version with its date; authors as one string."""
    arxiv_id = _oai_id(_text(body, f"{RAW}id"))
    versions = []
    for element in body.iterfind(f"{RAW}version"):
        number = element.get("version", "").lstrip("vV")
        if number.isdigit():
            versions.append(VersionRecord(int(number), _rfc2822(_text(element, f"{RAW}date"))))
    versions.sort(key=lambda v: v.version)
    categories = _text(body, f"{RAW}categories").split()
    latest = versions[-1] if versions else None
    return PaperRecord(
        title=_required_title(_text(body, f"{RAW}title")),
        authors=split_author_string(_text(body, f"{RAW}authors")),
        abstract=_text(body, f"{RAW}abstract").strip(),
        arxiv_id=arxiv_id,
        arxiv_version=latest.version if latest else None,
        arxiv_versions=versions,
        doi=_first_doi(_text(body, f"{RAW}doi")),
        published_at=versions[0].submitted_at if versions else None,
        revised_at=latest.submitted_at if latest else None,
        primary_category=categories[0] if categories else "",
        categories=categories,
        journal_ref=_text(body, f"{RAW}journal-ref"),
        comment=_text(body, f"{RAW}comments"),
        license=_text(body, f"{RAW}license").strip(),
        label=f"arXiv {arxiv_id}v{latest.version}" if latest else f"arXiv {arxiv_id}",
    )


def _arxiv_format_record(body: ET.Element) -> PaperRecord:
    """metadataPrefix=arXiv: author names in parts, first and last dates, no version numbers."""
    arxiv_id = _oai_id(_text(body, f"{ARXIV_OAI}id"))
    authors = []
    for author in body.iterfind(f"{ARXIV_OAI}authors/{ARXIV_OAI}author"):
        parts = [
            _text(author, f"{ARXIV_OAI}forenames").strip(),
            _text(author, f"{ARXIV_OAI}keyname").strip(),
            _text(author, f"{ARXIV_OAI}suffix").strip(),
        ]
        affiliations = [
            a.text.strip() for a in author.iterfind(f"{ARXIV_OAI}affiliation") if a.text
        ]
        authors.append(AuthorRecord(" ".join(p for p in parts if p), "; ".join(affiliations)))
    categories = _text(body, f"{ARXIV_OAI}categories").split()
    created = _iso_date(_text(body, f"{ARXIV_OAI}created"))
    updated = _iso_date(_text(body, f"{ARXIV_OAI}updated")) or created
    return PaperRecord(
        title=_required_title(_text(body, f"{ARXIV_OAI}title")),
        authors=authors,
        abstract=_text(body, f"{ARXIV_OAI}abstract").strip(),
        arxiv_id=arxiv_id,
        doi=_first_doi(_text(body, f"{ARXIV_OAI}doi")),
        published_at=created,
        revised_at=updated,
        primary_category=categories[0] if categories else "",
        categories=categories,
        journal_ref=_text(body, f"{ARXIV_OAI}journal-ref"),
        comment=_text(body, f"{ARXIV_OAI}comments"),
        license=_text(body, f"{ARXIV_OAI}license").strip(),
        label=f"arXiv {arxiv_id}",
    )


def _dc_record(body: ET.Element, identifier: str) -> PaperRecord:
    """metadataPrefix=oai_dc: Dublin Core; "Family, Given" creators; one date per version."""
    arxiv_id = _oai_id(identifier)
    authors = []
    for creator in body.iterfind(f"{DC}creator"):
        family, _, given = _text_of(creator).partition(",")
        authors.append(AuthorRecord(f"{given.strip()} {family.strip()}".strip()))
    descriptions = [_text_of(d) for d in body.iterfind(f"{DC}description")]
    abstract = next((d for d in descriptions if not d.startswith("Comment:")), "")
    comment = next(
        (d[len("Comment:") :].strip() for d in descriptions if d.startswith("Comment:")), ""
    )
    dates = sorted(d for d in (_iso_date(_text_of(e)) for e in body.iterfind(f"{DC}date")) if d)
    doi = ""
    for element in body.iterfind(f"{DC}identifier"):
        value = _text_of(element).strip()
        if value.lower().startswith("doi:"):
            doi = value[4:].strip()
            break
    return PaperRecord(
        title=_required_title(_text(body, f"{DC}title")),
        authors=authors,
        abstract=abstract.strip(),
        arxiv_id=arxiv_id,
        doi=doi or None,
        published_at=dates[0] if dates else None,
        revised_at=dates[-1] if dates else None,
        comment=comment,
        license=_text(body, f"{DC}rights").strip(),
        label=f"arXiv {arxiv_id}",
    )


# --- helpers ---------------------------------------------------------------------------


def split_author_string(authors: str) -> list[AuthorRecord]:
    """Split arXivRaw's one-string author list ("A, B and C (MIT)") into ordered authors.

    Commas and " and " separate names only outside parentheses; a parenthesised part after a
    name is its affiliation.
    """
    names: list[str] = []
    depth, current = 0, list[str]()
    text = " ".join(authors.split())
    index = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if depth == 0 and char == ",":
            names.append("".join(current))
            current = []
        elif depth == 0 and text.startswith(" and ", index):
            names.append("".join(current))
            current = []
            index += len(" and ")
            continue
        else:
            current.append(char)
        index += 1
    names.append("".join(current))
    records = []
    for raw in names:
        raw = raw.strip()
        if raw.lower().startswith("and "):
            raw = raw[4:]
        match = _AFFILIATION.search(raw)
        affiliation = ""
        if match and match.start() > 0:
            affiliation = match.group(1).strip()
            raw = raw[: match.start()].strip()
        if raw:
            records.append(AuthorRecord(raw, affiliation))
    return records


_AFFILIATION = re.compile(r"\((.*)\)\s*$")


def _text(element: ET.Element | None, path: str) -> str:
    if element is None:
        return ""
    found = element.find(path)
    return _text_of(found) if found is not None else ""


def _text_of(element: ET.Element) -> str:
    return "".join(element.itertext())


def _int(value: str | None, *, default: int = 0) -> int:
    try:
        return int((value or "").strip())
    except ValueError:
        return default


def _iso_datetime(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"bad date {value[:40]!r}") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _iso_date(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value[:10])
    except ValueError as error:
        raise ValueError(f"bad date {value[:40]!r}") from error
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _rfc2822(value: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"bad version date {value[:40]!r}") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _oai_id(value: str) -> str:
    parsed = parse_arxiv_id(value.strip())
    if parsed is None:
        raise ValueError(f"no arXiv id in {value[:80]!r}")
    return parsed[0]


def _required_title(title: str) -> str:
    if not title.strip():
        raise ValueError("record has no title")
    return title


def _first_doi(value: str) -> str | None:
    """arXiv may list two DOIs separated by a space; the first one identifies the paper."""
    parts = value.split()
    return parts[0] if parts else None
