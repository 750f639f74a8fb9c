"""What every source (arXiv, BibTeX, the survey seed) turns a paper into before it is matched
against the knowledge base by `paper_upsert_many`."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    """One author as the source names them ("Xinyi Hou"), in display order."""

    name: str
    affiliation: str = ""


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One arXiv version and when it was submitted (None when the source does not say)."""

    version: int
    submitted_at: datetime | None = None


@dataclass(slots=True)
class PaperRecord:
    """A paper as one source describes it.

    Text fields are display text (Unicode, whitespace collapsed); `bibtex_fields` keeps any
    other BibTeX field exactly as written. `label` names the record in reports ("line 12,
    key smith2020" or "arXiv 2401.01234v2").
    """

    title: str
    authors: list[AuthorRecord] = field(default_factory=list)
    abstract: str = ""
    arxiv_id: str | None = None
    arxiv_version: int | None = None
    arxiv_versions: list[VersionRecord] = field(default_factory=list)
    doi: str | None = None
    published_at: datetime | None = None
    revised_at: datetime | None = None
    year: int | None = None
    primary_category: str = ""
    categories: list[str] = field(default_factory=list)
    journal_ref: str = ""
    venue: str = ""
    kind: str = ""
    code_url: str = ""
    curator_note: str = ""
    comment: str = ""
    license: str = ""
    bibtex_key: str = ""
    bibtex_type: str = ""
    bibtex_fields: dict[str, str] = field(default_factory=dict)
    label: str = ""
