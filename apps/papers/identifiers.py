"""Recognise and normalise paper identifiers (arXiv ids, DOIs) wherever they are written."""

import re

# 2401.01234 (since 2015: five digits), 0704.0001 (2007-2014: four digits).
_NEW_ID = r"(?P<new>\d{4}\.\d{4,5})"
# hep-th/9603067, math.GT/0309136, cs/0503050: archive, optional subject class, YYMMNNN.
_OLD_ID = r"(?P<old>(?P<archive>[a-z]+(?:-[a-z]+)?)(?:\.[A-Za-z]{2})?/(?P<number>\d{7}))"
_VERSION = r"(?:v(?P<version>\d+))?"
_ARXIV_ID = re.compile(rf"(?<![\w.\-/])(?:{_NEW_ID}|{_OLD_ID}){_VERSION}(?!\d)")
_ARXIV_PREFIX = re.compile(
    r"^\s*(?:arxiv:|(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/|oai:arxiv\.org:)",
    re.IGNORECASE,
)

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(
    r"^\s*(?:doi:\s*|https?://(?:dx\.)?doi\.org/|https?://doi\.acm\.org/)", re.IGNORECASE
)


def parse_arxiv_id(text: str, *, anywhere: bool = False) -> tuple[str, int | None] | None:
    """Return (versionless id, version or None) for an arXiv identifier, or None.

    Accepts bare ids, `arXiv:` prefixes, abs/pdf URLs and OAI identifiers. With
    `anywhere=True` the id may stand inside other text ("see arXiv:2401.01234 [cs.SE]").
    Old-style ids lose their subject class (math.GT/0309136 → math/0309136), as arXiv's
    canonical form does.
    """
    if not text:
        return None
    candidate = _ARXIV_PREFIX.sub("", text.strip())
    candidate = candidate.removesuffix(".pdf")
    match = _ARXIV_ID.search(candidate) if anywhere else _ARXIV_ID.match(candidate)
    if match is None:
        return None
    rest = candidate[match.end() :].strip()
    if not anywhere and rest and not rest.startswith("["):  # "1906.00346 [cs]" is fine
        return None
    version = int(match["version"]) if match["version"] else None
    if match["new"]:
        return match["new"], version
    return f"{match['archive']}/{match['number']}", version


def normalize_doi(text: str | None) -> str | None:
    """Lower-case DOI without resolver prefix (`https://doi.org/10.1/X` → `10.1/x`), or None.

    When several DOIs are given (arXiv separates them by spaces) the first one is kept.
    """
    if not text:
        return None
    candidate = _DOI_PREFIX.sub("", text.strip())
    match = _DOI.match(candidate)
    if match is None:
        return None
    doi = match.group(0).rstrip(".,;").lower()
    # Trailing punctuation is the sentence's, not the DOI's; a DOI that is nothing else after
    # its slash is no DOI (and normalising twice must give the same answer).
    return doi if _DOI.fullmatch(doi) else None


ARXIV_DOI_PREFIX = "10.48550/arxiv."


def is_arxiv_doi(doi: str | None) -> bool:
    """Whether a (normalised) DOI is one arXiv registered for a preprint: it names the same
    paper as the arXiv id, and a venue's DOI is the better one to keep."""
    return bool(doi) and doi.lower().startswith(ARXIV_DOI_PREFIX)  # type: ignore[union-attr]
