"""What a paper page tells machines: Highwire Press `citation_*` tags (read by Zotero's
Embedded Metadata translator and Google Scholar), a schema.org `ScholarlyArticle` in JSON-LD,
and the page's `<meta name="description">`.

Everything is built from the paper's own fields; nothing sellm does not know is made up (no
tag for an empty field), and the description is sellm's words — the curators' note, or the
title, authors and venue — never the abstract.
"""

import json
from collections.abc import Sequence

from apps.core.bibliography.codec import latex_to_unicode
from apps.papers.bibtex import entry_type
from apps.papers.models import Paper

CONFERENCE_TYPES = frozenset({"inproceedings", "conference", "proceedings"})
DESCRIPTION_LIMIT = 300


def publication_date(paper: Paper) -> str:
    """`YYYY/MM/DD` from the publication date, else `YYYY`, else ""."""
    if paper.published_at:
        return paper.published_at.strftime("%Y/%m/%d")
    return str(paper.year) if paper.year else ""


def is_conference(paper: Paper) -> bool:
    """Whether the venue is a conference (by the BibTeX entry type the paper is written as)."""
    return entry_type(paper).lower() in CONFERENCE_TYPES


def highwire_tags(paper: Paper, authors: Sequence[str], page_url: str) -> list[tuple[str, str]]:
    """(name, content) pairs, in the order the tags are written; one `citation_author` per
    author, in order."""
    tags = [("citation_title", latex_to_unicode(paper.title))]
    tags += [("citation_author", name) for name in authors]
    date = publication_date(paper)
    if date:
        tags.append(("citation_publication_date", date))
    if paper.year:
        tags.append(("citation_year", str(paper.year)))
    venue = paper.venue or paper.journal_ref
    if venue:
        name = "citation_conference_title" if is_conference(paper) else "citation_journal_title"
        tags.append((name, venue))
    if paper.doi:
        tags.append(("citation_doi", paper.doi))
    if paper.arxiv_id:
        tags.append(("citation_arxiv_id", paper.arxiv_id))
        tags.append(("citation_pdf_url", paper.arxiv_pdf_url))
    tags.append(("citation_abstract_html_url", paper.arxiv_url or page_url))
    return tags


def json_ld(paper: Paper, authors: Sequence[str], page_url: str) -> str:
    """A schema.org ScholarlyArticle as JSON, safe to place inside a <script> element."""
    data: dict = {
        "@context": "https://schema.org",
        "@type": "ScholarlyArticle",
        "@id": page_url,
        "url": page_url,
        "name": latex_to_unicode(paper.title),
        "headline": latex_to_unicode(paper.title)[:110],
    }
    if authors:
        data["author"] = [{"@type": "Person", "name": name} for name in authors]
    if paper.published_at:
        data["datePublished"] = paper.published_at.date().isoformat()
    elif paper.year:
        data["datePublished"] = str(paper.year)
    identifiers = []
    if paper.doi:
        identifiers.append({"@type": "PropertyValue", "propertyID": "DOI", "value": paper.doi})
    if paper.arxiv_id:
        identifiers.append(
            {"@type": "PropertyValue", "propertyID": "arXiv", "value": paper.arxiv_id}
        )
    if identifiers:
        data["identifier"] = identifiers
    same_as = [url for url in (paper.arxiv_url, paper.doi_url) if url]
    if same_as:
        data["sameAs"] = same_as
    venue = paper.venue or paper.journal_ref
    if venue:
        data["isPartOf"] = {"@type": "Periodical", "name": venue}
    if paper.kind:
        data["genre"] = paper.get_kind_display()
    if paper.code_url:
        data["isBasedOn"] = paper.code_url  # the paper's own repository
    if paper.cited_by_count is not None:
        data["citationCount"] = paper.cited_by_count  # non-standard, read by some harvesters
    if paper.curator_note:
        data["description"] = paper.curator_note
    text = json.dumps(data, ensure_ascii=False)
    # As Django's json_script does: no "</script>" or "<!--" can end the element early.
    return text.replace("<", "\\u003C").replace(">", "\\u003E").replace("&", "\\u0026")


def short_authors(authors: Sequence[str], limit: int = 3) -> str:
    if len(authors) > limit:
        return ", ".join(authors[:limit]) + " et al."
    return ", ".join(authors)


def description(paper: Paper, authors: Sequence[str]) -> str:
    """The page's description in sellm's words: the curators' note when there is one, else
    title, authors, venue and year."""
    if paper.curator_note:
        text = paper.curator_note
    else:
        where = ", ".join(
            part for part in (paper.venue or paper.journal_ref, str(paper.year or "")) if part
        )
        text = latex_to_unicode(paper.title)
        if authors:
            text += f" — by {short_authors(authors)}"
        if where:
            text += f" ({where})"
        text += ". In sellm, the knowledge base of software engineering for LLMs."
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return text
