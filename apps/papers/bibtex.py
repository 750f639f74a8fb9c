"""The one BibTeX writer: the API's BibTeX format, the web's download links and
`export_bibtex` all stream entries from here.

Entries carry what LaTeX users need to cite and find a paper: a stable citation key, the
entry type that fits, eprint/archivePrefix/primaryClass for arXiv papers, DOI and url, the
venue, and the paper's phases and challenges as `keywords`. Fields imported from a BibTeX
file and kept in `bibtex_fields` are written back as they came.
"""

import re
from collections.abc import Iterable, Iterator

from apps.core.text import fold
from apps.papers.models import Paper

# Characters with a meaning in (Bib)LaTeX, escaped unless already escaped.
_SPECIAL = re.compile(r"(?<!\\)([%&#_])")
_TILDE_CARET = re.compile(r"(?<!\\)([~^])(?![{])")
_MATH = re.compile(r"(?<!\\)\$[^$]*(?<!\\)\$")
_KEY_UNSAFE = re.compile(r"[^a-z0-9]")
STOP_WORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "towards", "toward"}
)
# Fields the writer derives itself; the same names in bibtex_fields are not written twice.
DERIVED = (
    "title",
    "author",
    "year",
    "journal",
    "booktitle",
    "howpublished",
    "eprint",
    "archiveprefix",
    "primaryclass",
    "doi",
    "url",
    "abstract",
    "keywords",
)


def latex_escape(text: str) -> str:
    """Make display text safe inside a braced BibTeX field.

    Inline math (`$\\tau$`) and LaTeX commands pass through; `% & # _` outside math are
    escaped; unbalanced braces are escaped so that they cannot end the field early.
    """
    parts, last = [], 0
    for match in _MATH.finditer(text):
        parts.append(_escape_text(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_escape_text(text[last:]))
    return _balance_braces("".join(parts))


def _escape_text(text: str) -> str:
    text = _SPECIAL.sub(r"\\\1", text)
    return _TILDE_CARET.sub(lambda m: "\\" + m.group(1) + "{}", text)


def _balance_braces(text: str) -> str:
    """Escape every brace that has no partner, leaving matched pairs as grouping."""
    unmatched: set[int] = set()
    stack: list[int] = []
    for index, char in enumerate(text):
        if char in "{}" and index and text[index - 1] == "\\":
            continue
        if char == "{":
            stack.append(index)
        elif char == "}":
            if stack:
                stack.pop()
            else:
                unmatched.add(index)
    unmatched.update(stack)
    if not unmatched:
        return text
    return "".join("\\" + c if i in unmatched else c for i, c in enumerate(text))


def citation_key(paper: Paper) -> str:
    """The paper's own key, or first author's family name + year + first title word."""
    if paper.bibtex_key:
        return paper.bibtex_key
    names = paper.author_names.split("; ") if paper.author_names else []
    family = _KEY_UNSAFE.sub("", fold(names[0]).split()[-1]) if names and fold(names[0]) else ""
    words = [w for w in fold(paper.title).split() if w not in STOP_WORDS]
    first_word = _KEY_UNSAFE.sub("", words[0]) if words else ""
    key = f"{family or 'anon'}{paper.year or ''}{first_word}"
    return key or f"paper{paper.pk}"


def entry_type(paper: Paper) -> str:
    if paper.bibtex_type:
        return paper.bibtex_type
    if "booktitle" in paper.bibtex_fields:
        return "inproceedings"
    if paper.venue or paper.journal_ref:
        return "article"
    return "misc"


def bibtex_entry(paper: Paper, key: str) -> str:
    """One entry. `paper` should come from `Paper.objects.for_list()` (authors, placements)."""
    fields: list[tuple[str, str]] = [("title", latex_escape(paper.title))]
    authors = [a.author.name for a in paper.authorships.all()]
    if authors:
        fields.append(("author", " and ".join(latex_escape(name) for name in authors)))
    if paper.year:
        fields.append(("year", str(paper.year)))
    kind = entry_type(paper)
    venue = paper.venue or paper.journal_ref
    if venue:
        field = {"inproceedings": "booktitle", "article": "journal"}.get(kind, "howpublished")
        fields.append((field, latex_escape(venue)))
    if paper.arxiv_id:
        fields += [("eprint", paper.arxiv_id), ("archivePrefix", "arXiv")]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
    if paper.doi:
        fields.append(("doi", paper.doi))
    url = paper.bibtex_fields.get("url") or paper.arxiv_url or paper.doi_url
    if url:
        fields.append(("url", url))
    if paper.abstract:
        fields.append(("abstract", latex_escape(paper.abstract)))
    keywords = _keywords(paper)
    if keywords:
        fields.append(("keywords", latex_escape(", ".join(keywords))))
    written = {name.lower() for name, _ in fields}
    for name, value in paper.bibtex_fields.items():
        if name.lower() not in written and name.lower() not in DERIVED:
            fields.append((name, _balance_braces(value)))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def _keywords(paper: Paper) -> list[str]:
    placements = getattr(paper, "accepted_placements", None)
    if placements is None:
        placements = list(paper.placements.accepted().for_display())
    names: list[str] = []
    for placement in placements:
        for item in (placement.phase, placement.challenge, placement.direction):
            if item is not None and item.name not in names:
                names.append(item.name)
    return names


def write_bibtex(papers: Iterable[Paper]) -> Iterator[str]:
    """Entries for `papers`, one string each, with keys unique within the output.

    A key two papers would share gets a letter suffix (`hou2023large`, `hou2023largea`, …) in
    the order the papers come; papers with their own imported key always keep it.
    """
    used: set[str] = set()
    for paper in papers:
        base = citation_key(paper)
        key, suffix = base, 0
        while key in used:
            key = f"{base}{_suffix(suffix)}"
            suffix += 1
        used.add(key)
        yield bibtex_entry(paper, key)


def _suffix(n: int) -> str:
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
