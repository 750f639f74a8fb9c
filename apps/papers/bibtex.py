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

from apps.core.text import collapse_whitespace, fold
from apps.papers.identifiers import normalize_doi, parse_arxiv_id
from apps.papers.latex_codec import latex_to_text, text_to_latex
from apps.papers.models import Paper

_KEY_UNSAFE = re.compile(r"[^a-z0-9]")
STOP_WORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "towards", "toward"}
)
MONTH_MACROS = {
    "jan": "January",
    "feb": "February",
    "mar": "March",
    "apr": "April",
    "may": "May",
    "jun": "June",
    "jul": "July",
    "aug": "August",
    "sep": "September",
    "oct": "October",
    "nov": "November",
    "dec": "December",
}
# Where each entry type names its venue; other types use the first of VENUE_FALLBACKS the
# entry has, or `howpublished`.
VENUE_FIELDS = {
    "article": "journal",
    "inproceedings": "booktitle",
    "conference": "booktitle",
    "incollection": "booktitle",
    "inbook": "booktitle",
    "phdthesis": "school",
    "mastersthesis": "school",
    "thesis": "school",
    "techreport": "institution",
    "report": "institution",
}
VENUE_FALLBACKS = ("journal", "journaltitle", "booktitle", "howpublished")
# Written with this spelling (BibTeX field names are case-insensitive; the rest are lower case).
FIELD_SPELLING = {"archiveprefix": "archivePrefix", "primaryclass": "primaryClass"}
# Kept on import but not written: the fields a `crossref` named are already inlined.
NOT_WRITTEN = frozenset({"crossref"})

_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_WORD_AND = re.compile(r"(?:^|\s)and(?:\s|$)", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


# --- Reading and writing BibTeX values (shared with the importer) --------------------------


def display_text(latex: str) -> str:
    """The display form of a field value: LaTeX decoded, whitespace collapsed."""
    return collapse_whitespace(latex_to_text(latex))


def parse_year(value: str) -> int | None:
    """The first four-digit year in a `year` or `date` value ("2020a", "2020-05-14")."""
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def split_authors(latex: str) -> list[str]:
    """Display names, in order, from a BibTeX name list.

    "Hou, Xinyi and Brinch Hansen, Per and others" → ["Xinyi Hou", "Per Brinch Hansen"]:
    names split on `and` outside braces; "Last, First" and "Last, Jr, First" are reordered
    to "First Last" and "First Last Jr"; "others" (et al.) is dropped.
    """
    names = []
    for name in _split_on_and(latex):
        parts = [part.strip() for part in _split_top_level(name, ",")]
        if len(parts) == 1:
            ordered = parts[0]
        elif len(parts) == 2:
            ordered = f"{parts[1]} {parts[0]}"
        else:
            ordered = f"{', '.join(parts[2:])} {parts[0]} {parts[1]}"
        if ordered.strip().lower() == "others":
            continue
        text = display_text(ordered)
        if text:
            names.append(text)
    return names


def _split_on_and(latex: str) -> list[str]:
    latex = latex.strip()
    if not latex:
        return []
    parts = _AND.split(latex)
    # An "and" inside braces would leave a part with an unclosed brace: when every part
    # balances (the common case, accents included), the plain split was right.
    if "{" not in latex or all(part.count("{") == part.count("}") for part in parts):
        return parts
    parts, depth, start = [], 0, 0
    for match in re.finditer(r"\\.|[{}]|\s+and\s+", latex, re.IGNORECASE | re.DOTALL):
        piece = match.group(0)
        if piece == "{":
            depth += 1
        elif piece == "}":
            depth = max(depth - 1, 0)
        elif depth == 0 and piece[0].isspace():
            parts.append(latex[start : match.start()])
            start = match.end()
    parts.append(latex[start:])
    return parts


def _split_top_level(text: str, separator: str) -> list[str]:
    """Split on `separator` outside braces."""
    parts = text.split(separator)
    if "{" not in text or all(part.count("{") == part.count("}") for part in parts):
        return parts  # no separator inside braces (see _split_on_and)
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char == "{" and (index == 0 or text[index - 1] != "\\"):
            depth += 1
        elif char == "}" and (index == 0 or text[index - 1] != "\\"):
            depth = max(depth - 1, 0)
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def author_to_latex(name: str) -> str:
    """One display name as a BibTeX name: braced whole when a comma or a lone "and" in it
    would otherwise split it (or when it is "others", which BibTeX reads as et al.)."""
    latex = text_to_latex(name)
    if "," in name or _WORD_AND.search(name) or name.strip().lower() == "others":
        return "{" + latex + "}"
    return latex


def authors_to_latex(names: Iterable[str]) -> str:
    return " and ".join(author_to_latex(name) for name in names)


def venue_field(kind: str, fields: Mapping[str, str]) -> str:
    """The field that holds the venue of an entry of type `kind`."""
    if kind in VENUE_FIELDS:
        return VENUE_FIELDS[kind]
    for name in VENUE_FALLBACKS:
        if name in fields:
            return name
    return "howpublished"


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
        derived["title"] = text_to_latex(columns.title)
    if columns.authors and wanted("author"):
        derived["author"] = authors_to_latex(columns.authors)
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
    if columns.arxiv_id:
        return f"https://arxiv.org/abs/{columns.arxiv_id}"
    return f"https://doi.org/{columns.doi}" if columns.doi else ""


def raw_agrees(name: str, raw: str, columns: Columns, derived: str) -> bool:
    """Whether a field as imported still says what the column says (so it is written as it
    came, braces and accent macros included)."""
    if name == "author":
        return [fold(n) for n in split_authors(raw)] == [fold(n) for n in columns.authors]
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


def split_keywords(value: str) -> list[str]:
    return [word.strip() for word in re.split(r"[,;]", value) if word.strip()]


# --- Writing papers ---------------------------------------------------------------------


def citation_key(paper: Paper) -> str:
    """The paper's own key, or first author's family name + year + first title word."""
    if paper.bibtex_key:
        return paper.bibtex_key
    return generated_key(paper)


def generated_key(paper: Paper) -> str:
    """First author's family name + year + first significant title word, ASCII lower case."""
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
    )


def bibtex_entry(paper: Paper, key: str) -> str:
    """One entry. `paper` should come from `Paper.objects.for_list()` (authors, placements)."""
    body = ",\n".join(
        f"  {FIELD_SPELLING.get(name, name)} = {_value(name, value)}"
        for name, value in written_fields(paper).items()
    )
    return f"@{entry_type(paper)}{{{key},\n{body}\n}}\n"


def written_fields(paper: Paper) -> dict[str, str]:
    """The fields of the paper's entry, in order, as LaTeX: column values (or the imported
    form while it agrees with the column), then the other imported fields, then keywords."""
    kind = entry_type(paper)
    raw = {name.lower(): value for name, value in (paper.bibtex_fields or {}).items()}
    columns = paper_columns(paper, (a.author.name for a in paper.authorships.all()))
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


def _value(name: str, value: str) -> str:
    if name == "month" and value.strip().lower() in MONTH_MACROS:
        return value.strip().lower()  # a macro: every style prints it its own way
    return "{" + _balance_braces(value) + "}"


def _balance_braces(text: str) -> str:
    """Escape every brace that has no partner, so a hand-edited value cannot end the entry."""
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


def _keywords(paper: Paper, imported: str) -> str:
    """The imported keywords, then the names of the paper's phases, challenges and directions."""
    placements = getattr(paper, "accepted_placements", None)
    if placements is None:
        placements = list(paper.placements.accepted().for_display())
    words = split_keywords(imported)
    seen = {fold(word) for word in words}
    names: list[str] = []
    for placement in placements:
        for item in (placement.phase, placement.challenge, placement.direction):
            if item is not None and fold(item.name) not in seen:
                seen.add(fold(item.name))
                names.append(text_to_latex(item.name))
    if not names:
        return imported
    return ", ".join([*words, *names])


def write_bibtex(papers: Iterable[Paper]) -> Iterator[str]:
    """Entries for `papers`, in order, one string each, with keys unique within the output.

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
