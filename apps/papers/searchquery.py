"""sellm's search query language: parsed once here, compiled for either database.

Plain Python (no Django), so that the HTML search, the API's `q` filter and the admin share
one grammar and one set of error messages, and the parser is tested on its own.

    words             every word must appear (stemmed: "testing" finds "tests")
    "a phrase"        the words in this order
    -word  -"phrase"  leave out papers that have it
    a OR b            either (binds tighter than the implicit AND: `a b OR c` is a AND (b OR c))
    title:word  author:name  venue:name   only in that field (also title:"a phrase")
    year:2023  year:2021..2024  year:..2020  year:2022..

Words are folded (lower case, accents off: `Ramirez` finds `Ramírez`) and split at
punctuation (`GPT-4` is the phrase "gpt 4"); common English words (the, of, …) are left out
of plain words as both databases' stemmers do, but kept inside phrases. A query that cannot
be understood raises `QuerySyntaxError` with a message meant for the person who typed it.

Synonyms expand a query: a `Vocabulary` maps each stemmed term to its equivalents, and a run
of plain words matching one (`large language models`) becomes "any of them" (`"large
language models" OR LLM OR LLMs …`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from functools import lru_cache

import snowballstemmer
from anyascii import anyascii

MAX_QUERY_LENGTH = 500
MAX_TERMS = 40  # after synonym expansion; a longer query is refused, not truncated
YEAR_MIN, YEAR_MAX = 1800, 2200

# Field prefix → the document column it searches. Weights (PostgreSQL) and columns (FTS5)
# are named in the compilers below.
FIELDS = {
    "title": "title",
    "ti": "title",
    "author": "authors",
    "authors": "authors",
    "au": "authors",
    "venue": "venue",
    "year": "year",
}
# PostgreSQL's english.stop (snowball's English stop words): both databases then ignore the
# same words, so a query finds the same papers on either.
_STOP_WORDS_TEXT = (
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his "
    "himself she her hers herself it its itself they them their theirs themselves what which "
    "who whom this that these those am is are was were be been being have has had having do "
    "does did doing a an the and but if or because as until while of at by for with about "
    "against between into through during before after above below to from up down in out on "
    "off over under again further then once here there when where why how all any both each "
    "few more most other some such no nor not only own same so than too very s t can will "
    "just don should now"
)
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


class QuerySyntaxError(ValueError):
    """A query that cannot be understood; `str(error)` tells the user what to change."""


# --- folding -----------------------------------------------------------------------------


def _strip_marks(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _fold_maps() -> tuple[dict[str, str], dict[str, str]]:
    """The letters Unicode decomposition does not fold (`Ł` → `l`, `ø` → `o`, `ß` → `ss`,
    from anyascii), and typographic dashes and quotes → spaces. Every other accent is folded
    by decomposing (NFKD) and dropping the combining marks. One table for both sides: the
    PostgreSQL migration writes it into the database's folding function, `fold` applies it."""
    single: dict[str, str] = {}
    multi: dict[str, str] = {}
    for point in range(0xC0, 0x180):  # Latin-1 and Latin Extended-A: European names
        char = chr(point)
        if not char.isalpha() or _strip_marks(char).isascii():
            continue
        ascii_form = anyascii(char).lower()
        if ascii_form.isascii() and ascii_form.isalpha():
            (single if len(ascii_form) == 1 else multi)[char] = ascii_form
    for char in "\u2010\u2011\u2012\u2013\u2014\u2015\u2018\u2019\u201a\u201c\u201d\u201e\u00b7":
        single[char] = " "
    return single, multi


FOLD_SINGLE, FOLD_MULTI = _fold_maps()
_FOLD_TABLE = str.maketrans({**FOLD_SINGLE, **FOLD_MULTI})
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def fold(text: str) -> str:
    """Lower case with accents folded, exactly as the search documents are folded."""
    if text.isascii():
        return text.lower()
    return _strip_marks(text.translate(_FOLD_TABLE)).lower()


def tokens(text: str) -> list[str]:
    """The folded words of `text`, split at punctuation as the databases' tokenizers split."""
    return _TOKEN.findall(fold(text))


# The letters SQLite's FTS5 tokenizer does not fold (no Unicode decomposition), folded by
# the SQLite triggers and the same way here; FTS5 folds every other accent itself.
SQLITE_FOLD = {"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ß": "ss"}
SQLITE_FOLD |= {"æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe"}
_SQLITE_TABLE = str.maketrans(SQLITE_FOLD)


def _term(text: str, field_name: str | None) -> Term | None:
    words = tuple(tokens(text))
    if not words:
        return None
    spelled_text = unicodedata.normalize("NFC", text).translate(_SQLITE_TABLE).lower()
    spelled = tuple(_TOKEN.findall(spelled_text))
    return Term(words, field_name, spelled if len(spelled) == len(words) else words)


_STEMMER = snowballstemmer.stemmer("english")


def stem_key(words: Iterable[str]) -> tuple[str, ...]:
    """What a term means for synonym matching: folded, stemmed words (`LLMs`, `llms` alike)."""
    return tuple(_STEMMER.stemWord(w) for w in words)


# --- the parsed query --------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word (one token), or a phrase of tokens in order, optionally in one field."""

    words: tuple[str, ...]
    field: str | None = None  # "title" | "authors" | "venue" | None (everywhere)
    # The words as typed (lower case, accents kept), for SQLite: FTS5 folds them as it folds
    # the documents (it keeps `ł`, `ø`, `ß`, which `fold` turns into ASCII).
    spelled: tuple[str, ...] = dataclass_field(default=(), compare=False)

    @property
    def phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Query:
    """AND of `groups` (each an OR of terms), minus `excluded` terms, within `years`."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    years: tuple[int | None, int | None] | None = None
    # Per group: a single bare word (not a phrase, no OR), which may join its neighbours in
    # a multi-word synonym.
    plain: tuple[bool, ...] = dataclass_field(default=(), compare=False)

    def terms(self) -> list[Term]:
        return [t for group in self.groups for t in group] + list(self.excluded)


@dataclass
class _Atom:
    term: Term | None = None  # None: only stop words or punctuation (dropped)
    years: tuple[int | None, int | None] | None = None
    negated: bool = False
    plain: bool = False  # a bare word, not a phrase: may join neighbours in a synonym


_YEAR = re.compile(r"^(\d{4})?(?:\s*(\.\.|-)\s*(\d{4})?)?$")


def _parse_years(value: str, source: str) -> tuple[int | None, int | None]:
    match = _YEAR.match(value.strip())
    if not value.strip() or not match or (match.group(1) is None and match.group(3) is None):
        raise QuerySyntaxError(
            f"“{source}”: a year is four digits, or a range such as year:2021..2024."
        )
    first = int(match.group(1)) if match.group(1) else None
    last = int(match.group(3)) if match.group(3) else None
    if match.group(2) is None:
        last = first
    for year in (first, last):
        if year is not None and not YEAR_MIN <= year <= YEAR_MAX:
            raise QuerySyntaxError(f"“{source}”: {year} is not a plausible year.")
    if first is not None and last is not None and first > last:
        raise QuerySyntaxError(f"“{source}”: the range runs backwards; write year:{last}..{first}.")
    return first, last


def _lex(text: str) -> list[_Atom | str]:
    """Atoms and the operator "OR", left to right."""
    items: list[_Atom | str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char.isspace() or char in "()":
            i += 1
            continue
        start = i
        negated = False
        if char == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
        # A field prefix (`title:`), or a plain word running to the next space or quote.
        word_end = i
        while word_end < n and not text[word_end].isspace() and text[word_end] not in '"()':
            word_end += 1
        word = text[i:word_end]
        prefix, colon, _rest = word.partition(":")
        field_name = FIELDS.get(prefix.lower()) if colon else None
        if field_name is not None:
            i += len(prefix) + 1
            if field_name == "year":
                value_end = i
                while value_end < n and not text[value_end].isspace():
                    value_end += 1
                value = text[i:value_end]
                items.append(
                    _Atom(years=_parse_years(value, text[start:value_end]), negated=negated)
                )
                i = value_end
                continue
            if i >= n or text[i].isspace():
                raise QuerySyntaxError(
                    f"“{text[start:i]}” needs a word after the colon, e.g. {prefix}:rao "
                    f'or {prefix}:"a phrase".'
                )
        if i < n and text[i] == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise QuerySyntaxError(
                    f"The quote before “{text[i + 1 : i + 31]}” is not closed: add a closing "
                    f'" (or remove the quote).'
                )
            term = _term(text[i + 1 : close], field_name)
            i = close + 1
            if term is None and field_name:
                raise QuerySyntaxError(f"“{text[start:i]}” has no words to look for.")
            items.append(_Atom(term=term, negated=negated))
            continue
        end = i
        while end < n and not text[end].isspace() and text[end] not in '"()':
            end += 1
        raw = text[i:end]
        i = end
        if not negated and not field_name and raw in ("OR", "or", "|"):
            items.append("OR")
            continue
        if not negated and not field_name and raw == "AND":
            continue
        term = _term(raw, field_name)
        if (
            term
            and term.words[0] in STOP_WORDS
            and len(term.words) == 1
            and field_name != "authors"
        ):
            term = None
        if term is None and field_name:
            raise QuerySyntaxError(f"“{text[start:i]}” has no word to look for.")
        plain = term is not None and len(term.words) == 1
        items.append(_Atom(term=term, negated=negated, plain=plain))
    return items


def parse(text: str) -> Query:
    """The query `text` means; raises QuerySyntaxError with a message for the user."""
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(f"A query is at most {MAX_QUERY_LENGTH} characters.")
    items = _lex(text)
    # Fold "a OR b OR c" into one group; everything else is its own group (AND).
    groups: list[list[_Atom]] = []
    expect_operand = False
    for item in items:
        if item == "OR":
            if not groups or expect_operand:
                raise QuerySyntaxError(
                    "OR needs a word or phrase on each side, e.g. RAG OR retrieval."
                )
            expect_operand = True
            continue
        assert isinstance(item, _Atom)
        if expect_operand:
            groups[-1].append(item)
            expect_operand = False
        else:
            groups.append([item])
    if expect_operand:
        raise QuerySyntaxError("OR needs a word or phrase on each side, e.g. RAG OR retrieval.")
    positive: list[list[_Atom]] = []
    excluded: list[Term] = []
    years: tuple[int | None, int | None] | None = None
    for group in groups:
        if len(group) > 1 and any(a.negated or a.years for a in group):
            raise QuerySyntaxError(
                "OR joins words and phrases only: an exclusion (-word) or a year: cannot be "
                "one side of it."
            )
        atom = group[0]
        if atom.years is not None:
            if atom.negated:
                raise QuerySyntaxError(
                    "A year cannot be excluded; give the years you want, e.g. year:..2020."
                )
            if years is not None:
                raise QuerySyntaxError("Give one year: filter (a range such as year:2021..2024).")
            years = atom.years
        elif atom.negated:
            if atom.term is not None:
                excluded.append(atom.term)
        else:
            kept = [a for a in group if a.term is not None]
            if kept:
                positive.append(kept)
    if not positive and years is None:
        if excluded:
            raise QuerySyntaxError(
                "Nothing to search for: an exclusion (-word) removes papers from a search, so "
                "add a word or a year: to search for."
            )
        raise QuerySyntaxError(
            "Nothing to search for: the query has only common words or punctuation."
        )
    return Query(
        groups=tuple(tuple(a.term for a in g if a.term) for g in positive),
        excluded=tuple(excluded),
        years=years,
        plain=tuple(len(g) == 1 and g[0].plain for g in positive),
    )


# --- synonyms ----------------------------------------------------------------------------


@dataclass
class Vocabulary:
    """Equivalent terms: each stemmed key maps to every term of its set (as token tuples)."""

    equivalents: dict[tuple[str, ...], tuple[tuple[str, ...], ...]] = dataclass_field(
        default_factory=dict
    )
    longest: int = 1

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> Vocabulary:
        """Pairs join into sets (LLM = LLMs and LLM = large language model make one set)."""
        parent: dict[tuple[str, ...], tuple[str, ...]] = {}
        spelling: dict[tuple[str, ...], tuple[str, ...]] = {}

        def find(key: tuple[str, ...]) -> tuple[str, ...]:
            parent.setdefault(key, key)
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for left, right in pairs:
            sides = [tuple(tokens(left)), tuple(tokens(right))]
            if not all(sides):
                continue
            keys = [stem_key(side) for side in sides]
            for key, side in zip(keys, sides, strict=True):
                spelling.setdefault(key, side)
            parent[find(keys[0])] = find(keys[1])
        sets: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for key in spelling:
            sets.setdefault(find(key), []).append(spelling[key])
        equivalents = {}
        for members in sets.values():
            ordered = tuple(sorted(members, key=lambda m: (len(m), m)))
            for member in members:
                equivalents[stem_key(member)] = ordered
        longest = max((len(k) for k in equivalents), default=1)
        return cls(equivalents=equivalents, longest=longest)

    def alternatives(self, term: Term) -> tuple[Term, ...]:
        """`term` and its equivalents (in the same field); just `term` if it has none."""
        if term.field == "authors":
            return (term,)
        found = self.equivalents.get(stem_key(term.words))
        if not found:
            return (term,)
        others = tuple(
            Term(words, term.field) for words in found if stem_key(words) != stem_key(term.words)
        )
        return (term, *others)


def expand(query: Query, vocabulary: Vocabulary) -> Query:
    """`query` with each term that has synonyms replaced by any of them (see the module doc).
    Runs of bare words are matched longest first, so `large language models` is one term."""
    if not vocabulary.equivalents:
        return query
    plain = query.plain or tuple(False for _ in query.groups)
    groups: list[tuple[Term, ...]] = []
    i = 0
    while i < len(query.groups):
        group = query.groups[i]
        matched = False
        if plain[i]:
            field_name = group[0].field
            for length in range(min(vocabulary.longest, len(query.groups) - i), 1, -1):
                run = query.groups[i : i + length]
                if not all(plain[i + k] and run[k][0].field == field_name for k in range(length)):
                    continue
                words = tuple(w for g in run for w in g[0].words)
                if stem_key(words) in vocabulary.equivalents:
                    groups.append(vocabulary.alternatives(Term(words, field_name)))
                    i += length
                    matched = True
                    break
        if not matched:
            groups.append(tuple(alt for term in group for alt in vocabulary.alternatives(term)))
            i += 1
    excluded = tuple(alt for term in query.excluded for alt in vocabulary.alternatives(term))
    return Query(groups=tuple(groups), excluded=excluded, years=query.years)


def check_size(query: Query) -> None:
    """Refuse a query too big to run quickly (each term costs an index lookup)."""
    if len(query.terms()) > MAX_TERMS:
        raise QuerySyntaxError(
            f"The query has too many words ({len(query.terms())} with synonyms; at most "
            f"{MAX_TERMS}): search for fewer."
        )


# --- compilers ---------------------------------------------------------------------------

# PostgreSQL: one weighted tsvector; a field prefix is a weight restriction.
PG_WEIGHTS = {"title": "A", "authors": "B", "venue": "D"}
# SQLite: FTS5 columns of papers_paper_fts, in order (bm25 weights in apps.papers.search).
FTS_COLUMNS = ("title", "authors", "abstract", "notes", "venue")


def _pg_term(term: Term) -> str:
    weight = f":{PG_WEIGHTS[term.field]}" if term.field else ""
    return "(" + " <-> ".join(f"'{w}'{weight}" for w in term.words) + ")"


def _pg_any(terms: Sequence[Term]) -> str:
    return "(" + " | ".join(_pg_term(t) for t in terms) + ")"


def to_tsquery_text(query: Query) -> str:
    """The positive part of `query` in to_tsquery syntax ('' when it has none)."""
    return " & ".join(_pg_any(group) for group in query.groups)


def to_tsquery_excluded(query: Query) -> str:
    """Any excluded term, in to_tsquery syntax ('' when none): rows matching it are dropped."""
    return _pg_any(query.excluded) if query.excluded else ""


def _fts_term(term: Term) -> str:
    phrase = '"' + " ".join(term.spelled or term.words) + '"'
    return f"{term.field} : {phrase}" if term.field else phrase


def _fts_any(terms: Sequence[Term]) -> str:
    return "(" + " OR ".join(_fts_term(t) for t in terms) + ")"


def to_fts5(query: Query) -> str:
    """The positive part of `query` as an FTS5 MATCH expression ('' when it has none)."""
    positive = " AND ".join(_fts_any(group) for group in query.groups)
    if positive and query.excluded:
        return f"({positive}) NOT {_fts_any(query.excluded)}"
    return positive


def to_fts5_excluded(query: Query) -> str:
    """Excluded terms as an FTS5 MATCH expression, for queries without positive words."""
    return _fts_any(query.excluded) if query.excluded else ""


def sqlite_fold(column: str) -> str:
    """An SQLite expression applying SQLITE_FOLD to `column` (the triggers' columns)."""
    expression = column
    for char, target in SQLITE_FOLD.items():
        expression = f"replace({expression}, '{char}', '{target}')"
    return expression


@lru_cache(maxsize=1)
def fold_sql_function() -> str:
    """The PostgreSQL folding function, written from the same table as `fold`."""

    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    expression = "value"
    for source, target in sorted(FOLD_MULTI.items()):
        expression = f"replace({expression}, {literal(source)}, {literal(target)})"
    sources = "".join(FOLD_SINGLE)
    targets = "".join(FOLD_SINGLE.values())
    expression = f"translate({expression}, {literal(sources)}, {literal(targets)})"
    marks = f"[{chr(0x300)}-{chr(0x36F)}]"
    expression = f"regexp_replace(normalize({expression}, NFKD), '{marks}', '', 'g')"
    # Most text is ASCII: then there is nothing to fold.
    expression = (
        f"CASE WHEN octet_length(value) = char_length(value) THEN value ELSE {expression} END"
    )
    # ASCII punctuation becomes a space, so PostgreSQL's parser sees the words the query side
    # sees (`GPT-4` → gpt 4; otherwise it would index `-4`, and `foo.py` as one file name).
    expression = f"regexp_replace({expression}, '[!-/:-@\\[-`{{-~]+', ' ', 'g')"
    return (
        "CREATE OR REPLACE FUNCTION sellm_search_fold(value text) RETURNS text "
        f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {expression} $$"
    )
