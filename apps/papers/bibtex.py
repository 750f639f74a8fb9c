"""The one BibTeX writer: the API's BibTeX format, the web's download links and
`export_bibtex` all stream entries from here. The BibTeX importer reads with the same rules
(names, venues, years, which fields the columns already hold), so that an export imports
back into the same papers, authors and fields.

An entry carries a stable citation key (the paper's own, else author + year + first title
word), the entry type that fits, `eprint`/`archivePrefix`/`primaryClass` for arXiv papers,
DOI and url, the venue, and the paper's phases and challenges as `keywords`.

Fields imported from a BibTeX file are kept in `Paper.bibtex_fields` as written (macros
resolved). For a field that also has a column (title, author, year, venue, abstract, DOI,
eprint) the importer keeps the written form only when it differs from what this module
would write for the column (protective braces, accent macros, `Last, First` names), and
this module writes it back only while it still says the same as the column — a curator's
later edit of the column wins.
"""

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass

from apps.core.bibliography.codec import text_to_latex
from apps.core.bibliography.fields import (
    FIELD_SPELLING,
    NOT_WRITTEN,
    display_text,
    field_value,
    parse_year,
    protect_capitals,
    split_keywords,
    venue_field,
)
from apps.core.bibliography.names import display_names, family_key, names_to_latex
from apps.core.text import fold
from apps.papers.identifiers import normalize_doi, parse_arxiv_id
from apps.papers.models import Paper

_KEY_UNSAFE = re.compile(r"[^a-z0-9]")
STOP_WORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "towards", "toward"}
)


@dataclass(frozen=True, slots=True)
class Columns:
    """The paper columns a BibTeX entry is derived from (a stored paper or a parsed record)."""

    title: str
    authors: tuple[str, ...]
    year: int | None
    venue: str
    abstract: str
    doi: str | None
    arxiv_id: str | None
    primary_category: str
    url: str = ""  # a link of last resort (the open-access copy) for a paper with no id


def derived_fields(
    columns: Columns,
    kind: str,
    fields: Mapping[str, str],
    names: Collection[str] | None = None,
) -> dict[str, str]:
    """What the writer writes for each field a column holds, in writing order (only the
    fields in `names`, when given: the importer asks about the fields an entry has)."""

    def wanted(name: str) -> bool:
        return names is None or name in names

    derived = {}
    if wanted("title"):
        derived["title"] = protect_capitals(text_to_latex(columns.title))
    if columns.authors and wanted("author"):
        derived["author"] = names_to_latex(columns.authors)
    if columns.year and wanted("year"):
        derived["year"] = str(columns.year)
    if columns.venue:
        where = venue_field(kind, fields)
        if wanted(where):
            derived[where] = text_to_latex(columns.venue)
    if columns.arxiv_id:
        derived["eprint"] = columns.arxiv_id
        derived["archiveprefix"] = "arXiv"
        if columns.primary_category:
            derived["primaryclass"] = columns.primary_category
    if columns.doi:
        derived["doi"] = columns.doi
    url = canonical_url(columns)
    if url:
        derived["url"] = url
    if columns.abstract and wanted("abstract"):
        derived["abstract"] = text_to_latex(columns.abstract)
    return derived


def canonical_url(columns: Columns) -> str:
    """The arXiv page, else the DOI, else whatever link the paper has."""
    if columns.arxiv_id:
        return f"https://arxiv.org/abs/{columns.arxiv_id}"
    return f"https://doi.org/{columns.doi}" if columns.doi else columns.url


def raw_agrees(name: str, raw: str, columns: Columns, derived: str) -> bool:
    """Whether a field as imported still says what the column says (so it is written as it
    came, braces and accent macros included)."""
    if name == "author":
        return [fold(n) for n in display_names(raw)] == [fold(n) for n in columns.authors]
    if name == "year":
        return parse_year(raw) == columns.year
    if name == "doi":
        return normalize_doi(raw) == columns.doi
    if name == "eprint":
        parsed = parse_arxiv_id(raw)
        return parsed is not None and parsed[0] == columns.arxiv_id
    if name == "archiveprefix":
        return raw.strip().lower() == "arxiv"
    if name == "url":
        return True  # the url the user gave beats the one we would make up
    if name in ("primaryclass",):
        return raw.strip() == derived
    return display_text(raw) == display_text(derived)


# --- Writing papers ---------------------------------------------------------------------


def citation_key(paper: Paper) -> str:
    """The paper's own key, or first author's family name + year + first title word."""
    if paper.bibtex_key:
        return paper.bibtex_key
    return generated_key(paper)


def generated_key(paper: Paper) -> str:
    """First author's family name + year + first significant title word, ASCII lower case."""
    names = paper.author_names.split("; ") if paper.author_names else []
    family = _KEY_UNSAFE.sub("", family_key(names[0])) if names else ""
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


def paper_columns(paper: Paper, authors: Iterable[str]) -> Columns:
    return Columns(
        title=paper.title,
        authors=tuple(authors),
        year=paper.year,
        venue=paper.venue or paper.journal_ref,
        abstract=paper.abstract,
        doi=paper.doi,
        arxiv_id=paper.arxiv_id,
        primary_category=paper.primary_category,
        url=paper.oa_url,
    )


def bibtex_entry(paper: Paper, key: str) -> str:
    """One entry of a paper with its list rows attached (`apps.papers.relations`)."""
    body = ",\n".join(
        f"  {FIELD_SPELLING.get(name, name)} = {field_value(name, value)}"
        for name, value in written_fields(paper).items()
    )
    return f"@{entry_type(paper)}{{{key},\n{body}\n}}\n"


def written_fields(paper: Paper) -> dict[str, str]:
    """The fields of the paper's entry, in order, as LaTeX: column values (or the imported
    form while it agrees with the column), then the other imported fields, then keywords."""
    kind = entry_type(paper)
    raw = {name.lower(): value for name, value in (paper.bibtex_fields or {}).items()}
    columns = paper_columns(paper, (author["name"] for author in paper.author_rows))
    fields: dict[str, str] = {}
    for name, derived in derived_fields(columns, kind, raw).items():
        written = raw.get(name)
        ok = written is not None and raw_agrees(name, written, columns, derived)
        fields[name] = written if ok else derived  # type: ignore[assignment]
    for name, value in raw.items():
        if name not in fields and name not in NOT_WRITTEN and name != "keywords":
            fields[name] = value
    keywords = _keywords(paper, raw.get("keywords", ""))
    if keywords:
        fields["keywords"] = keywords
    return fields


def _keywords(paper: Paper, imported: str) -> str:
    """The imported keywords, then the names of the paper's phases, challenges and directions."""
    words = split_keywords(imported)
    seen = {fold(word) for word in words}
    names: list[str] = []
    for placement in paper.placement_rows:
        for item in (placement["phase"], placement["challenge"], placement["direction"]):
            if item is not None and fold(item["name"]) not in seen:
                seen.add(fold(item["name"]))
                names.append(text_to_latex(item["name"]))
    if not names:
        return imported
    return ", ".join([*words, *names])


def write_bibtex(papers: Iterable[Paper]) -> Iterator[str]:
    """Entries for `papers` (list rows attached), in order, one string each, with keys unique
    within the output.

    Papers keep their stored key (`citation_keys_assign` gives papers one for good). A paper
    without one gets a generated key that no stored key and no earlier entry uses: a letter
    suffix tells apart papers with the same stem (`hou2023large`, `hou2023largea`, …). One
    query per chunk of keyless papers; nothing is written to the database.
    """
    used: set[str] = set()
    for chunk in _chunks(papers, KEY_CHUNK):
        keyless = [paper for paper in chunk if not paper.bibtex_key]
        taken = keys_taken({generated_key(paper) for paper in keyless})
        for paper in chunk:
            key = paper.bibtex_key or unique_key(generated_key(paper), used | taken)
            used.add(key)
            yield bibtex_entry(paper, key)


KEY_CHUNK = 500  # papers per stored-key lookup


def _chunks(items: Iterable[Paper], size: int) -> Iterator[list[Paper]]:
    chunk: list[Paper] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def keys_taken(stems: set[str]) -> set[str]:
    """Stored citation keys a new key with one of `stems` must avoid.

    Exact lookups on the unique index: first the stems, then — only for stems already taken,
    which is rare — their lettered variants, and a prefix scan only if every variant is taken.
    """
    taken = _stored_keys(stems)
    crowded = {stem for stem in stems if stem in taken}
    if crowded:
        variants = {stem + key_suffix(n) for stem in crowded for n in range(26)}
        taken |= _stored_keys(variants)
        full = {s for s in crowded if all(s + key_suffix(n) in taken for n in range(26))}
        for stem in full:
            taken |= set(
                Paper.objects.filter(bibtex_key__startswith=stem)
                .order_by()
                .values_list("bibtex_key", flat=True)
            )
    return taken


def _stored_keys(keys: set[str]) -> set[str]:
    found: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 900):  # SQLite caps the parameters of a statement
        chunk = ordered[start : start + 900]
        found |= set(
            Paper.objects.filter(bibtex_key__in=chunk).values_list("bibtex_key", flat=True)
        )
    return found


def unique_key(stem: str, taken: set[str]) -> str:
    """`stem`, or `stem` with the first letter suffix not in `taken`."""
    key, suffix = stem, 0
    while key in taken:
        key = f"{stem}{key_suffix(suffix)}"
        suffix += 1
    return key


def key_suffix(n: int) -> str:
    """0 → a, 25 → z, 26 → aa: the letters that tell apart keys with the same stem."""
    letters = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
