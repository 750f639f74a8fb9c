"""A paper as frozen into a listing: everything its exports need, written once.

The BibTeX entry and the CSL-JSON item are written by the project's own writers
(`apps.papers.bibtex`, `apps.papers.csl`) at the moment of freezing and kept as written; RIS
and the listing page read the plain `record`. So a listing exports its papers as they were,
whatever happens to them later.
"""

from collections.abc import Iterable, Iterator

import rispy

from apps.core.bibliography.codec import latex_to_unicode
from apps.core.bibliography.names import ris_name
from apps.papers.bibtex import write_bibtex
from apps.papers.csl import csl_item, placement_keywords
from apps.papers.models import Paper


def paper_record(paper: Paper) -> dict:
    """The facts of a paper (list rows attached: `apps.papers.relations`) as plain JSON."""
    return {
        "title": latex_to_unicode(paper.title),
        "authors": [author["name"] for author in paper.author_rows],
        "year": paper.year,
        "published": paper.published_at.date().isoformat() if paper.published_at else None,
        "venue": paper.venue,
        "journal_ref": paper.journal_ref,
        "doi": paper.doi,
        "arxiv_id": paper.arxiv_id,
        "arxiv_version": paper.arxiv_version,
        "primary_category": paper.primary_category,
        "abstract": paper.abstract,
        "url": paper.arxiv_url or paper.doi_url or str(paper.bibtex_fields.get("url", "")),
        "kind": paper.kind,
        "bibtex_type": paper.bibtex_type,
        "keywords": placement_keywords(paper),
    }


def snapshot_papers(papers: Iterable[Paper]) -> Iterator[dict]:
    """Per paper (list rows attached), in order: the ListingEntry fields (paper, ids, key,
    record, BibTeX, CSL). The citation keys are unique within the listing, and the CSL item
    carries the same key as the BibTeX entry."""
    papers = list(papers)
    for paper, entry in zip(papers, write_bibtex(papers), strict=True):
        key = entry[entry.index("{") + 1 : entry.index(",")]
        yield {
            "paper": paper,
            "paper_ref": paper.pk,
            "arxiv_id": paper.arxiv_id or "",
            "arxiv_version": paper.arxiv_version,
            "citation_key": key,
            "record": paper_record(paper),
            "bibtex": entry,
            "csl": csl_item(paper, key),
        }


# --- RIS (rispy) -------------------------------------------------------------------------

RIS_TYPES = {
    "article": "JOUR",
    "inproceedings": "CONF",
    "conference": "CONF",
    "book": "BOOK",
    "inbook": "CHAP",
    "incollection": "CHAP",
    "phdthesis": "THES",
    "mastersthesis": "THES",
    "techreport": "RPRT",
    "report": "RPRT",
}


def ris_record(record: dict, key: str) -> dict:
    """A frozen record as a rispy entry (RIS tags by rispy's field names)."""
    kind = (record.get("bibtex_type") or "").lower()
    if kind in RIS_TYPES:
        ris_type = RIS_TYPES[kind]
    elif record.get("venue") or record.get("journal_ref"):
        ris_type = "JOUR"
    else:
        ris_type = "RPRT" if record.get("arxiv_id") else "GEN"  # a preprint: a report
    entry: dict = {"type_of_reference": ris_type, "id": key, "title": record["title"]}
    if record.get("authors"):
        entry["authors"] = [ris_name(name) for name in record["authors"]]
    if record.get("year"):
        entry["year"] = str(record["year"])
    if record.get("published"):
        entry["date"] = record["published"].replace("-", "/")
    venue = record.get("venue") or record.get("journal_ref")
    if venue:
        entry["secondary_title"] = venue
    elif record.get("arxiv_id"):
        entry["publisher"] = "arXiv"
    if record.get("doi"):
        entry["doi"] = record["doi"]
    if record.get("url"):
        entry["urls"] = [record["url"]]
    if record.get("abstract"):
        entry["abstract"] = record["abstract"]
    if record.get("arxiv_id"):
        version = f"v{record['arxiv_version']}" if record.get("arxiv_version") else ""
        entry["notes"] = [f"arXiv:{record['arxiv_id']}{version}"]
    if record.get("keywords"):
        entry["keywords"] = list(record["keywords"])
    return entry


class _RisWriter(rispy.RisWriter):
    """rispy's writer without the "1.", "2." counter line it puts before each record."""

    def set_header(self, count: int) -> str:
        return ""


def write_ris(records: Iterable[tuple[dict, str]]) -> str:
    """RIS text of (record, key) pairs, in order."""
    return rispy.dumps(
        [ris_record(record, key) for record, key in records], implementation=_RisWriter
    )
