"""Papers as RIS, the tagged format every reference manager imports (EndNote, Zotero,
Mendeley, RefWorks). Written with `rispy`, one record per paper.

Record type from the same reading of the paper as CSL-JSON (`csl_type`): JOUR for a journal
article, CONF for a conference paper, UNPB for a preprint, and so on. Authors are written
`Last, First`, once each (AU); the date is `YYYY/MM/DD` (DA) beside the year (PY); links
(UR) are the arXiv page, the DOI, the code and the open-access copy; the arXiv PDF goes in
L1; keywords are the paper's phases, challenges and directions; ID is the citation key.
"""

from collections.abc import Iterable, Iterator

import rispy
from rispy.writer import RisWriter

from apps.core.bibliography.codec import latex_to_unicode
from apps.core.bibliography.names import ris_name
from apps.papers.csl import csl_type, item_id, placement_keywords
from apps.papers.models import Paper

# CSL item types → RIS reference types.
RIS_TYPES = {
    "article-journal": "JOUR",
    "paper-conference": "CONF",
    "book": "BOOK",
    "chapter": "CHAP",
    "thesis": "THES",
    "report": "RPRT",
    "webpage": "ELEC",
    "manuscript": "UNPB",
    "article": "UNPB",  # a preprint or working paper
}


class _Writer(RisWriter):
    """rispy's writer without the running number it puts before each record."""

    def set_header(self, count: int) -> str:
        return ""


def ris_reference(paper: Paper, key: str) -> dict:
    """One record as rispy's dict, of a paper with its list rows attached."""
    kind = csl_type(paper)
    ref: dict = {
        "type_of_reference": RIS_TYPES.get(kind, "GEN"),
        "id": key,
        "title": latex_to_unicode(paper.title),
    }
    authors = [ris_name(author["name"]) for author in paper.author_rows]
    if authors:
        ref["authors"] = authors
    if paper.year:
        ref["year"] = str(paper.year)
    if paper.published_at:
        ref["date"] = paper.published_at.strftime("%Y/%m/%d")
    venue = paper.venue or paper.journal_ref
    if venue:
        ref["secondary_title"] = venue  # T2: journal or proceedings, by the record type
        if ref["type_of_reference"] == "JOUR":
            ref["journal_name"] = venue
    if paper.abstract:
        ref["abstract"] = paper.abstract
    if paper.doi:
        ref["doi"] = paper.doi
    urls = [
        url
        for url in (
            paper.bibtex_fields.get("url", ""),
            paper.arxiv_url,
            paper.doi_url,
            paper.code_url,
            paper.oa_url,
        )
        if url
    ]
    if urls:
        ref["urls"] = list(dict.fromkeys(urls))
    if paper.arxiv_id:
        ref["file_attachments1"] = paper.arxiv_pdf_url
        category = f" [{paper.primary_category}]" if paper.primary_category else ""
        ref["notes"] = [f"arXiv:{paper.arxiv_id}{category}"]
        if kind == "article":
            ref["publisher"] = "arXiv"
    keywords = placement_keywords(paper)
    if keywords:
        ref["keywords"] = keywords
    return ref


def write_ris(papers: Iterable[Paper]) -> Iterator[str]:
    """RIS records for `papers`, in order, one string each, with IDs unique within it."""
    used: set[str] = set()
    for paper in papers:
        key = item_id(paper)
        if key in used:
            key = f"sellm-{paper.pk}"
        used.add(key)
        yield rispy.dumps([ris_reference(paper, key)], implementation=_Writer)
