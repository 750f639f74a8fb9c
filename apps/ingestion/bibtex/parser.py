"""Turn a BibTeX file into paper records: one `ParsedEntry` per entry block, in file order,
failed blocks included, so that every entry ends up counted once.

bibtexparser 2 splits the file into blocks (it never raises on bad BibTeX; a broken block
becomes a failed block and the next one is parsed). Everything after splitting happens here,
in one pass over the blocks, because the library's middlewares are either too slow (LaTeX
decoding) or too narrow (string references only when a value is nothing else):

- `@string` macros are resolved in file order, with `#` concatenation and BibTeX's month
  macros; `@preamble` and `@comment` are counted, not imported;
- `crossref` fills the fields an entry lacks from its target, when the target is in the file;
- field values are decoded to Unicode for the columns (display and search), while the value
  as written stays in `bibtex_fields` whenever the columns cannot reproduce it;
- arXiv ids come from `eprint` (+ `archivePrefix`/`eprinttype`), `arxivId`, arXiv DOIs,
  `url`, `journal` (also DBLP's `CoRR` + `volume = {abs/…}`) and `howpublished`; DOIs are
  normalised; an identifier that cannot be read is kept as written and noted, never fatal.
"""

import gc
import logging
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import bibtexparser
from bibtexparser import model

from apps.core.bibliography.braces import balanced
from apps.core.bibliography.codec import needs_escaping
from apps.core.bibliography.fields import (
    MONTH_MACROS,
    VENUE_FALLBACKS,
    VENUE_FIELDS,
    display_text,
    parse_year,
    split_concatenation,
    split_keywords,
    venue_field,
)
from apps.core.bibliography.names import display_names
from apps.core.exceptions import ApplicationError
from apps.core.text import collapse_whitespace, fold
from apps.papers.bibtex import Columns, derived_fields
from apps.papers.identifiers import normalize_doi, parse_arxiv_id
from apps.papers.records import AuthorRecord, PaperRecord

logger = logging.getLogger(__name__)

NON_ENTRY_BLOCKS = frozenset({"string", "comment", "preamble"})
_BLOCK_HEAD = re.compile(r"@\s*(?P<type>\w*)\s*[{(]\s*(?P<key>[^,\s{}()]*)")
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_CORR_VOLUME = re.compile(r"^\s*abs/(?P<id>\S+)\s*$", re.IGNORECASE)
# Venues that only say "a preprint" (folded): the paper has no venue yet.
_PREPRINT_VENUES = frozenset(
    {"arxiv", "arxiv org", "corr", "preprint", "arxiv preprint", "eprint", "e print", "e prints"}
    | {"arxiv e print", "arxiv e prints", "arxiv eprint", "arxiv eprints", "corr abs"}
)
_FULL_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
_NUL = "\x00"


class BibtexInputError(ApplicationError):
    """A file that cannot be read as BibTeX at all (not text, not UTF-8, empty, too big)."""


class BibtexTooLargeError(BibtexInputError):
    """A file over BIBTEX_MAX_BYTES."""


@dataclass(slots=True)
class ParsedEntry:
    """One entry block: the record it became, or why it could not become one."""

    line: int  # 1-based line of the block's `@`
    key: str
    entry_type: str
    record: PaperRecord | None = None
    error: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"line {self.line}, key {self.key}" if self.key else f"line {self.line}, no key"


@dataclass(slots=True)
class DuplicateKey:
    """An entry whose key an earlier entry of the file already uses."""

    key: str
    line: int
    first_line: int


@dataclass(slots=True)
class ParsedFile:
    """Every entry block of a file, in order, and what else the parser noticed."""

    entries: list[ParsedEntry] = field(default_factory=list)
    duplicate_keys: list[DuplicateKey] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # broken @string/@comment/@preamble
    strings: int = 0
    preambles: int = 0
    comments: int = 0

    @property
    def failed(self) -> list[ParsedEntry]:
        return [entry for entry in self.entries if entry.record is None]


def read_bibtex_bytes(data: bytes, *, max_bytes: int) -> str:
    """The text of an uploaded file, or a BibtexInputError saying why it is not BibTeX."""
    if len(data) > max_bytes:
        raise BibtexTooLargeError(too_large_message(len(data), max_bytes))
    if not data.strip():
        raise BibtexInputError("The file is empty.")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or _looks_utf16(data[:65536]):
        raise BibtexInputError(
            "The file is not UTF-8 but UTF-16. Save it as UTF-8 and upload it again."
        )
    if _NUL.encode() in data[:65536]:
        raise BibtexInputError("This looks like a binary file, not a BibTeX text file.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BibtexInputError(
            f"The file is not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}). "
            "Save it as UTF-8 and upload it again."
        ) from error
    return text


def check_bibtex_text(text: str) -> None:
    """Refuse text that holds no BibTeX at all (rather than report zero entries)."""
    if not text.strip():
        raise BibtexInputError("The file is empty.")
    if _NUL in text:
        raise BibtexInputError("This looks like a binary file, not a BibTeX text file.")
    if not re.search(r"@\s*\w*\s*[{(]", text):
        raise BibtexInputError("No BibTeX entries found: entries start with @type{key, …}.")


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: text in it (ASCII mostly, as BibTeX is) puts a NUL
    byte beside nearly every character, all at even or all at odd offsets."""
    pairs = len(head) // 2
    if pairs < 4:
        return False
    for zero_at in (0, 1):
        zeros = head[zero_at::2][:pairs].count(0)
        others = head[1 - zero_at :: 2][:pairs]
        if zeros >= 0.9 * pairs and others.count(0) <= 0.1 * pairs:
            return True
    return False


def too_large_message(size: int, max_bytes: int) -> str:
    """Sizes in bytes: near the limit, "5.0 MB; the limit is 5.0 MB" says nothing."""
    return (
        f"The file is {size:,} bytes; the limit is {max_bytes:,} bytes "
        "(BIBTEX_MAX_BYTES). Split it, or raise the limit."
    )


def parse_bibtex(text: str, *, ignore_keywords: Collection[str] = ()) -> ParsedFile:
    """Parse a whole file. Never raises on bad BibTeX: bad entries come back failed.

    `ignore_keywords` (folded) are dropped from imported `keywords`: the writer adds the
    paper's phase and challenge names there, and they are placements, not keywords.
    """
    check_bibtex_text(text)
    with _no_cyclic_gc():
        return _parse(text, ignore_keywords)


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parsing allocates millions of small objects that all stay alive until the end; each
    full collection would walk all of them again, for nothing to free. Pausing the cyclic
    collector makes the parse about 40% faster (reference counting still frees garbage)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(text: str, ignore_keywords: Collection[str]) -> ParsedFile:
    library = bibtexparser.parse_string(text, parse_stack=[])
    result = ParsedFile()
    macros: dict[str, str] = {}
    first_line_of_key: dict[str, int] = {}
    # Entry blocks in file order; failed ones carry no fields.
    blocks: list[tuple[ParsedEntry, dict[str, str] | None]] = []

    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, model.String):
            undefined: list[str] = []
            macros[block.key.strip().lower()] = _evaluate(block.value, macros, undefined)
            result.strings += 1
            if undefined:
                result.problems.append(
                    f"line {line}: @string {block.key} uses undefined macros "
                    f"{', '.join(sorted(set(undefined)))} (kept as text)"
                )
        elif isinstance(block, model.Preamble):
            result.preambles += 1
        elif isinstance(block, model.ExplicitComment):
            result.comments += 1
        elif isinstance(block, model.Entry):
            blocks.append(_read_entry(block, line, macros, first_line_of_key, result))
        elif isinstance(block, (model.DuplicateBlockKeyBlock, model.DuplicateFieldKeyBlock)):
            inner = block.ignore_error_block
            if isinstance(inner, model.Entry):
                blocks.append(_read_entry(inner, line, macros, first_line_of_key, result))
            elif isinstance(inner, model.String):  # a redefined macro: later ones win
                macros[inner.key.strip().lower()] = _evaluate(inner.value, macros, [])
                result.strings += 1
        elif isinstance(block, model.ParsingFailedBlock):
            failed = _read_failed_block(block, line, result)
            if failed is not None:
                blocks.append((failed, None))
        # Implicit comments (text between blocks) carry nothing to import.

    by_key: dict[str, dict[str, str]] = {}
    for parsed, fields in blocks:
        if parsed.key and fields is not None:
            by_key.setdefault(parsed.key.lower(), fields)  # the first of duplicates, as BibTeX
    for parsed, fields in blocks:
        if fields is not None and not parsed.error:
            _resolve_crossref(parsed, fields, by_key)
            try:
                parsed.record = _record(parsed, fields, ignore_keywords)
            except ValueError as error:
                parsed.error = str(error)
        result.entries.append(parsed)
    return result


def _read_entry(
    entry: model.Entry,
    line: int,
    macros: dict[str, str],
    first_line_of_key: dict[str, int],
    result: ParsedFile,
) -> tuple[ParsedEntry, dict[str, str]]:
    """Evaluate an entry's fields (macros, concatenation) under lower-case names."""
    parsed = ParsedEntry(line=line, key=entry.key.strip(), entry_type=entry.entry_type.lower())
    if parsed.key:
        first = first_line_of_key.setdefault(parsed.key, line)
        if first != line:
            result.duplicate_keys.append(DuplicateKey(parsed.key, line, first))
            parsed.notes.append(f"key {parsed.key} is also used on line {first}")
    fields: dict[str, str] = {}
    undefined: list[str] = []
    for item in entry.fields:
        name = item.key.strip().lower()
        if name in fields:
            parsed.notes.append(f"field {name} given twice: the first value was kept")
            continue
        if name == "month" and item.value.strip().lower() in MONTH_MACROS:
            fields[name] = item.value.strip().lower()  # kept as the macro, written back as one
            continue
        value = _evaluate(item.value, macros, undefined)
        if not balanced(value):
            parsed.error = f"field {name}: unbalanced braces"
            break
        fields[name] = value
    if undefined:
        parsed.notes.append(
            f"undefined @string macros {', '.join(sorted(set(undefined)))} (kept as text)"
        )
    return parsed, fields


def _read_failed_block(
    block: model.ParsingFailedBlock, line: int, result: ParsedFile
) -> ParsedEntry | None:
    """A failed entry block as a failed entry; other failed blocks as problems."""
    raw = block.raw or ""
    head = _BLOCK_HEAD.match(raw.lstrip())
    kind = head["type"].lower() if head else ""
    error = block.error
    reason = getattr(error, "abort_reason", "") or str(error) or type(error).__name__
    reason = reason.strip().replace("`", "")
    if kind in NON_ENTRY_BLOCKS:
        result.problems.append(f"line {line}: @{kind} block could not be parsed: {reason}")
        return None
    key = head["key"] if head else ""
    return ParsedEntry(line=line, key=key, entry_type=kind, error=f"malformed entry: {reason}")


def _evaluate(value: str, macros: dict[str, str], undefined: list[str]) -> str:
    """The text of a field value: delimiters removed, macros resolved, `#` parts joined."""
    value = value.strip()
    if "#" not in value:  # a single operand: the overwhelmingly common case
        return _operand(value, macros, undefined)
    return "".join(_operand(part, macros, undefined) for part in split_concatenation(value))


def _operand(part: str, macros: dict[str, str], undefined: list[str]) -> str:
    part = part.strip()
    if len(part) >= 2 and (
        (part[0] == "{" and part[-1] == "}") or (part[0] == '"' and part[-1] == '"')
    ):
        return part[1:-1]
    if not part or part.isdigit():
        return part
    name = part.lower()
    if name in macros:
        return macros[name]
    if name in MONTH_MACROS:
        return MONTH_MACROS[name]
    undefined.append(part)
    return part


def _resolve_crossref(
    parsed: ParsedEntry, fields: dict[str, str], by_key: dict[str, dict[str, str]]
) -> None:
    """Fill the fields the entry lacks from the entry its `crossref` names (one level, as
    BibTeX does); a proceedings' title becomes the entry's booktitle."""
    target = fields.get("crossref", "").strip()
    if not target:
        return
    parent = by_key.get(target.lower())
    if parent is None or parent is fields:
        parsed.notes.append(f"crossref {target} is not in the file: kept as a field")
        return
    for name, value in parent.items():
        if name not in fields and name not in ("crossref", "title"):
            fields[name] = value
    if "booktitle" not in fields and "title" in parent:
        fields["booktitle"] = parent["title"]
    if "title" not in fields and "title" in parent:
        fields["title"] = parent["title"]


def _record(
    parsed: ParsedEntry, fields: dict[str, str], ignore_keywords: Collection[str]
) -> PaperRecord:
    """The paper record of an entry; notes what it could not read."""
    notes = parsed.notes
    kind = parsed.entry_type
    title = display_text(fields.get("title", ""))
    authors = display_names(fields["author"]) if "author" in fields else []

    year = None
    year_text = fields.get("year") or fields.get("date") or ""
    if year_text:
        year = parse_year(year_text)
        if year is not None and not 1800 <= year <= 2200:
            notes.append(f"year {year_text!r} is implausible: kept as a field only")
            year = None
        elif year is None:
            notes.append(f"no year in {year_text!r}: kept as a field only")
    published_at = None
    date = _FULL_DATE.match(fields.get("date", ""))
    if date:
        try:
            year_, month, day = (int(part) for part in date.groups())
            published_at = datetime(year_, month, day, tzinfo=UTC)
        except ValueError:
            notes.append(f"date {fields['date']!r} is not a calendar date")

    arxiv_id = _arxiv_id(fields, notes)
    doi = _doi(fields, notes)
    primary_category = fields.get("primaryclass", "").strip() if arxiv_id else ""
    if len(primary_category) > 40 or " " in primary_category:
        primary_category = ""

    where = venue_field(kind, fields)
    venue = display_text(fields.get(where, ""))
    if venue and (
        (len(venue) < 20 and fold(venue) in _PREPRINT_VENUES)
        or ("arxiv" in venue.lower() and parse_arxiv_id(venue, anywhere=True))
    ):
        venue = ""  # "arXiv preprint arXiv:2401.01234" names no venue; it stays as a field

    abstract = display_text(fields.get("abstract", ""))
    columns = Columns(
        title=title,
        authors=tuple(authors),
        year=year,
        venue=venue,
        abstract=abstract,
        doi=doi,
        arxiv_id=arxiv_id,
        primary_category=primary_category,
    )
    return PaperRecord(
        title=title,
        authors=[AuthorRecord(name) for name in authors],
        abstract=abstract,
        arxiv_id=arxiv_id,
        doi=doi,
        published_at=published_at,
        year=year,
        primary_category=primary_category,
        categories=[primary_category] if primary_category else [],
        venue=venue,
        bibtex_key=parsed.key,
        bibtex_type=kind,
        bibtex_fields=_kept_fields(fields, columns, kind, where, ignore_keywords),
        label=parsed.label,
    )


def _arxiv_id(fields: dict[str, str], notes: list[str]) -> str | None:
    """The versionless arXiv id an entry names, from the most explicit field that has one.

    The version a citation names is dropped: it says what the citer read, not what the
    paper's latest version is (that is arXiv's to say).
    """
    found: list[tuple[str, str]] = []
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").strip().lower()
    eprint = fields.get("eprint", "")
    if eprint and archive in ("", "arxiv"):
        parsed = parse_arxiv_id(eprint)
        if parsed:
            found.append(("eprint", parsed[0]))
        elif archive == "arxiv":
            notes.append(f"eprint {eprint!r} is not an arXiv id: kept as a field only")
    for name in ("arxivid", "arxiv"):
        if fields.get(name):
            parsed = parse_arxiv_id(fields[name], anywhere=True)
            if parsed:
                found.append((name, parsed[0]))
    doi_match = _ARXIV_DOI.match(fields.get("doi", "").strip())
    if doi_match:
        parsed = parse_arxiv_id(doi_match["id"])
        if parsed:
            found.append(("doi", parsed[0]))
    for name in ("url", "journal", "howpublished"):
        value = fields.get(name, "")
        if "arxiv" in value.lower():
            parsed = parse_arxiv_id(value, anywhere=True)
            if parsed:
                found.append((name, parsed[0]))
    if fields.get("journal", "").strip().lower() == "corr":
        volume = _CORR_VOLUME.match(fields.get("volume", ""))
        parsed = parse_arxiv_id(volume["id"]) if volume else None
        if parsed:
            found.append(("volume", parsed[0]))
    if not found:
        return None
    name, arxiv_id = found[0]
    others = sorted({value for _, value in found if value != arxiv_id})
    if others:
        notes.append(f"arXiv id {arxiv_id} taken from {name}; the entry also names {others}")
    return arxiv_id


def _doi(fields: dict[str, str], notes: list[str]) -> str | None:
    written = fields.get("doi", "").strip()
    if written:
        # arXiv's own DOI (10.48550/arXiv.…) is kept too: until a venue's DOI replaces it
        # (see `paper_upsert_many`), it is the paper's DOI for citation managers.
        doi = normalize_doi(written)
        if doi is None or len(doi) > 255:
            notes.append(f"DOI {written[:80]!r} is not a DOI: kept as a field only")
            return None
        return doi
    url = fields.get("url", "")
    if "doi.org/" in url:
        return normalize_doi(url.strip())
    return None


# Fields whose column holds decoded text: kept as written only if that has LaTeX in it.
_TEXT_FIELDS = frozenset({"title", "abstract", *VENUE_FIELDS.values(), *VENUE_FALLBACKS})


def _kept_fields(
    fields: dict[str, str],
    columns: Columns,
    kind: str,
    venue_name: str,
    ignore_keywords: Collection[str],
) -> dict[str, str]:
    """The fields as written, except where the columns say exactly the same (the writer
    makes those from the columns)."""
    # Cheap first: text without anything LaTeX-like is what the writer makes of its column.
    plain = {
        name
        for name, value in fields.items()
        if name in _TEXT_FIELDS
        and not needs_escaping(value)
        and _from_column(name, columns, venue_name)
    }
    derived = derived_fields(columns, kind, fields, names=fields.keys() - plain)
    kept = {}
    for name, value in fields.items():
        if name in plain:
            continue
        if name == "author" and "," in value and "{" not in value:
            pass  # "Last, First": never what the writer makes of display names
        elif name in derived and collapse_whitespace(value) == derived[name]:
            continue
        if name == "keywords" and ignore_keywords:
            words = split_keywords(value)
            mine = [word for word in words if fold(word) not in ignore_keywords]
            if len(mine) != len(words):
                value = ", ".join(mine)
            if not value:
                continue
        kept[name] = value
    return kept


def _from_column(name: str, columns: Columns, venue_name: str) -> bool:
    """Whether a text field is the one its column was read from (and not empty there)."""
    if name == "title":
        return bool(columns.title)
    if name == "abstract":
        return bool(columns.abstract)
    return bool(columns.venue) and name == venue_name
