"""BibTeX field conventions shared by the importer and the writer: month macros, where each
entry type keeps its venue, how a value is read for display and written back."""

import re
from collections.abc import Mapping

from apps.core.bibliography.braces import escape_unmatched, scan
from apps.core.bibliography.codec import latex_to_text
from apps.core.text import collapse_whitespace

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

_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def display_text(latex: str) -> str:
    """The display form of a field value: LaTeX decoded, whitespace collapsed."""
    return collapse_whitespace(latex_to_text(latex))


def parse_year(value: str) -> int | None:
    """The first four-digit year in a `year` or `date` value ("2020a", "2020-05-14")."""
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def split_keywords(value: str) -> list[str]:
    return [word.strip() for word in re.split(r"[,;]", value) if word.strip()]


def venue_field(kind: str, fields: Mapping[str, str]) -> str:
    """The field that holds the venue of an entry of type `kind`."""
    if kind in VENUE_FIELDS:
        return VENUE_FIELDS[kind]
    for name in VENUE_FALLBACKS:
        if name in fields:
            return name
    return "howpublished"


def field_value(name: str, value: str) -> str:
    """A field's value as written in an entry: braced, or a month macro bare."""
    if name == "month" and value.strip().lower() in MONTH_MACROS:
        return value.strip().lower()  # a macro: every style prints it its own way
    return "{" + escape_unmatched(value) + "}"


# Inline math or a word (the scanner skips control sequences and escapes).
_TITLE_WORD = r"\$(?:[^$\\]|\\.)+\$|[^\W_]+"


def protect_capitals(latex: str) -> str:
    """Brace the words of a title whose capitals must survive a sentence-case style:
    any word with a capital after its first letter (`{LLMs}`, `{GPT}-4`, `{ChatGPT}`).
    Math, commands and text already inside braces are left alone."""
    out: list[str] = []
    last = 0
    for match, depth in scan(latex, _TITLE_WORD):
        word = match.group(0)
        if depth == 0 and word[0] != "$" and any(c.isupper() for c in word[1:]):
            out.append(latex[last : match.start()])
            out.append("{" + word + "}")
            last = match.end()
    out.append(latex[last:])
    return "".join(out)


def split_concatenation(value: str) -> list[str]:
    """Split `a # {b} # "c"` on the `#` outside braces and quotes."""
    parts, quoted, start = [], False, 0
    for match, depth in scan(value, '["#]'):
        if depth:
            continue
        if match.group(0) == '"':
            quoted = not quoted
        elif not quoted:
            parts.append(value[start : match.start()])
            start = match.end()
    parts.append(value[start:])
    return parts
