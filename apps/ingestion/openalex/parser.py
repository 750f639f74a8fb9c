"""Read OpenAlex works defensively: fields come and go, and any of them can be null.

`parse_work` turns one work (a JSON object) into a `WorkRecord`; `parse_document` reads a
whole answer — a single work (`/works/W…`) or a list page (`{"meta": …, "results": […]}`) —
as saved to a file or fetched. Only the id is required; everything else is read where it
is present and of the expected type, and left empty otherwise:

- `id`: `https://openalex.org/W2741809807` or `W2741809807`;
- `doi`: URL form, lower case (normalised like every DOI in sellm);
- venue: `primary_location.source.display_name` (2023 on), else the old `host_venue`
  (saved answers from before 2023) — not when the source is a repository (arXiv, Zenodo);
- open-access copy: `open_access.oa_url`, else `best_oa_location.pdf_url`, else its
  landing page; http(s) only;
- `cited_by_count`, `referenced_works` (ids; absent means "not in the answer", not "none"),
  `publication_date`, `display_name`/`title` (for reports only).
"""

import json
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from apps.papers.identifiers import normalize_doi
from apps.papers.services.enrichment import WorkRecord

WORK_ID = re.compile(r"^(?:https?://openalex\.org/)?(W\d{1,20})$", re.IGNORECASE)
REPOSITORY = "repository"


class WorkError(ValueError):
    """A work that cannot be read; the message says why."""


@dataclass(slots=True)
class Document:
    """A parsed answer: its works, the works that could not be read (label, reason), and
    for a list page its paging (`count`, `next_cursor`)."""

    works: list[WorkRecord] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    is_list: bool = False
    count: int | None = None
    next_cursor: str | None = None


def work_id(value: object) -> str | None:
    """`W…` from an OpenAlex id in either form, or None."""
    if not isinstance(value, str):
        return None
    match = WORK_ID.match(value.strip())
    return match.group(1).upper() if match else None


def _get(data: object, *path: str) -> Any:
    """data[path[0]][path[1]]…, or None where any step is missing or not an object."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _url(value: object) -> str:
    text = _text(value)
    return text if text.startswith(("https://", "http://")) and " " not in text else ""


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _venue(raw: dict) -> str:
    for source in (_get(raw, "primary_location", "source"), raw.get("host_venue")):
        if isinstance(source, dict) and source.get("type") != REPOSITORY:
            name = _text(source.get("display_name"))
            if name:
                return name
    return ""


def parse_work(raw: object, *, as_of: date | None = None) -> WorkRecord:
    """One work; raises WorkError if it has no usable id. `as_of` is the answer's date
    (default: the work's own `updated_date`)."""
    if not isinstance(raw, dict):
        raise WorkError("not a JSON object")
    openalex_id = work_id(raw.get("id"))
    title = _text(raw.get("display_name")) or _text(raw.get("title"))
    if openalex_id is None:
        raise WorkError(f"no OpenAlex id ({title[:60]!r})" if title else "no OpenAlex id")
    doi = normalize_doi(raw["doi"]) if isinstance(raw.get("doi"), str) else None
    count = raw.get("cited_by_count")
    references = raw.get("referenced_works")
    return WorkRecord(
        openalex_id=openalex_id,
        doi=doi,
        title=title,
        publication_date=_date(raw.get("publication_date")),
        venue=_venue(raw),
        oa_url=(
            _url(_get(raw, "open_access", "oa_url"))
            or _url(_get(raw, "best_oa_location", "pdf_url"))
            or _url(_get(raw, "best_oa_location", "landing_page_url"))
        ),
        cited_by_count=count if isinstance(count, int) and not isinstance(count, bool) else None,
        referenced_works=(
            list(dict.fromkeys(i for r in references if (i := work_id(r))))
            if isinstance(references, list)
            else None
        ),
        as_of=as_of or _date(raw.get("updated_date")),
        label=f"OpenAlex {openalex_id}" + (f" (DOI {doi})" if doi else ""),
    )


def parse_document(data: object, *, as_of: date | None = None) -> Document:
    """A single work or a list page; raises WorkError for anything else (OpenAlex's error
    object included, with its message)."""
    if not isinstance(data, dict):
        raise WorkError("not an OpenAlex answer: expected a JSON object")
    if "error" in data and "id" not in data:
        raise WorkError(f"OpenAlex error: {_text(data.get('error'))} {_text(data.get('message'))}")
    if isinstance(data.get("results"), list):
        document = Document(is_list=True)
        count = _get(data, "meta", "count")
        document.count = count if isinstance(count, int) else None
        cursor = _get(data, "meta", "next_cursor")
        document.next_cursor = cursor if isinstance(cursor, str) and cursor else None
        items = data["results"]
    elif "id" in data:
        document = Document()
        items = [data]
    else:
        raise WorkError("not an OpenAlex work or list page (no id, no results)")
    for position, raw in enumerate(items, start=1):
        try:
            document.works.append(parse_work(raw, as_of=as_of))
        except WorkError as error:
            document.errors.append((f"result {position}", str(error)))
    return document


def parse_bytes(content: bytes, *, as_of: date | None = None) -> Document:
    """A saved answer's bytes; raises WorkError if they are not JSON."""
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, ValueError) as error:
        raise WorkError(f"not JSON: {error}") from error
    return parse_document(data, as_of=as_of)
