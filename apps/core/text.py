"""Text normalisation used for matching (authors, titles), never for display."""

import re

from anyascii import anyascii

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# LaTeX letters without an accent-free base ({\L}ukasz, S{\o}ren, Stra{\ss}e): spelled out
# before the markup goes, so they fold like the Unicode letters.
_LATEX_LETTERS = re.compile(r"\\(ss|ae|AE|oe|OE|aa|AA|L|l|O|o|i|j)(?![a-zA-Z]) ?")
_LATEX_LETTER_TEXT = {"aa": "a", "AA": "A"}
# LaTeX left in keys: accent commands (\" \^ …), named commands (\c, \textbf), braces.
_LATEX_MARKUP = re.compile(r"\\[\"'`^~=.]|\\[a-zA-Z]+\s*|[{}]")
# Runs of non-ASCII characters other than Han ideographs. Han characters are kept as they are:
# transliterated, different names that sound alike ("王伟", "汪伟" → "WangWei") would fold to
# one key and merge two people. Every other letter is transliterated, so "Łukasz", "Søren" and
# "Straße" fold like "Lukasz", "Soren" and "Strasse" (Unicode decomposition alone misses them).
_TRANSLITERATED = re.compile(
    "[^\x00-\x7f\u2e80-\u2fdf\u3005\u3007\u3021-\u3029\u3400-\u4dbf\u4e00-\u9fff"
    "\uf900-\ufaff\U00020000-\U0003134f]+"
)


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free words separated by single spaces.

    "Schölkopf, B." and "Scholkopf B" fold to the same key, so do "Łukasz" and "Lukasz";
    "{GPT}-4: {A} Study" folds to "gpt 4 a study". The one folding function of sellm: title
    keys, author name keys and generated citation keys all come from here.
    """
    if "\\" in text or "{" in text:
        text = _LATEX_LETTERS.sub(lambda m: _LATEX_LETTER_TEXT.get(m[1], m[1]), text)
        text = _LATEX_MARKUP.sub("", text)
    if not text.isascii():  # most titles and names are ASCII: skip transliteration
        text = _TRANSLITERATED.sub(lambda run: anyascii(run.group()), text)
    return _NON_WORD.sub(" ", text.casefold()).strip()


def folded_key(text: str | None, length: int) -> str:
    """`fold(text)` cut to a key column's `length`."""
    return fold(text or "")[:length]


def collapse_whitespace(text: str) -> str:
    """Join hard-wrapped lines (arXiv wraps titles and abstracts) into single spaces."""
    return " ".join(text.split())
