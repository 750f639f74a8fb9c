"""Papers as CSL-JSON, the citation format Zotero, pandoc and citeproc read.

One item per paper, following the CSL-JSON schema (citationstyles.org, CSL 1.0.2): `type`
from the paper's BibTeX entry type or venue (an arXiv paper without a venue is a preprint,
CSL `article`), authors split into family and given names by the one name rule
(`apps.core.bibliography.names`), `issued` from the publication
date (or the year), DOI and URL, and arXiv ids in `number`/`archive_location` the way Zotero
writes them. `write_csl_json` streams a JSON array, one item at a time.
"""

import json
from collections.abc import Iterable, Iterator

from apps.core.bibliography.names import csl_name
from apps.papers.models import Paper

# BibTeX entry types (lower case) → CSL item types.
CSL_TYPES = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "book": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "misc": "article",
    "online": "webpage",
    "unpublished": "manuscript",
}


def csl_type(paper: Paper) -> str:
    """The CSL item type for the paper."""
    if paper.bibtex_type:
        return CSL_TYPES.get(paper.bibtex_type.lower(), "article")
    if "booktitle" in paper.bibtex_fields:
        return "paper-conference"
    if paper.venue or paper.journal_ref:
        return "article-journal"
    return "article"  # CSL's type for preprints and working papers


def csl_item(paper: Paper, item_id: str) -> dict:
    """One CSL-JSON item of a paper with its list rows attached (`apps.papers.relations`)."""
    item: dict = {"id": item_id, "type": csl_type(paper), "title": paper.title}
    authors = [csl_name(author["name"]) for author in paper.author_rows]
    if authors:
        item["author"] = authors
    if paper.published_at:
        date = paper.published_at
        item["issued"] = {"date-parts": [[date.year, date.month, date.day]]}
    elif paper.year:
        item["issued"] = {"date-parts": [[paper.year]]}
    venue = paper.venue or paper.journal_ref
    if venue:
        item["container-title"] = venue
    if paper.abstract:
        item["abstract"] = paper.abstract
    if paper.doi:
        item["DOI"] = paper.doi
    if paper.arxiv_id:
        item["number"] = f"arXiv:{paper.arxiv_id}"
        item["archive"] = "arXiv"
        item["archive_location"] = paper.arxiv_id
        if item["type"] == "article":
            item["publisher"] = "arXiv"
        if paper.primary_category:
            item["note"] = f"arXiv:{paper.arxiv_id} [{paper.primary_category}]"
    url = paper.bibtex_fields.get("url") or paper.arxiv_url or paper.doi_url or paper.oa_url
    if url:
        item["URL"] = url
    keywords = placement_keywords(paper)
    if keywords:
        item["keyword"] = ", ".join(keywords)
    if paper.bibtex_key:
        item["citation-key"] = paper.bibtex_key
    return item


def placement_keywords(paper: Paper) -> list[str]:
    """The names of the paper's phases, challenges and directions (its placement rows)."""
    names: list[str] = []
    for placement in paper.placement_rows:
        for target in (placement["phase"], placement["challenge"], placement["direction"]):
            if target is not None and target["name"] not in names:
                names.append(target["name"])
    return names


def item_id(paper: Paper) -> str:
    """A readable, stable id: the citation key, else the arXiv id, else the DOI."""
    return paper.bibtex_key or paper.arxiv_id or paper.doi or f"sellm-{paper.pk}"


def write_csl_json(papers: Iterable[Paper]) -> Iterator[str]:
    """A CSL-JSON array of `papers`, in pieces (one item each), with ids unique within it."""
    used: set[str] = set()
    yield "["
    for index, paper in enumerate(papers):
        key = item_id(paper)
        if key in used:
            key = f"sellm-{paper.pk}"
        used.add(key)
        text = json.dumps(csl_item(paper, key), ensure_ascii=False)
        yield ("\n" if index == 0 else ",\n") + text
    yield "\n]\n"
