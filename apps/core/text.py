"""Text normalisation used for matching (authors, titles), never for display."""

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
# LaTeX left in keys: accent commands (\" \^ …), named commands (\c, \textbf), braces.
_LATEX_MARKUP = re.compile(r"\\[\"'`^~=.]|\\[a-zA-Z]+\s*|[{}]")


def fold(text: str) -> str:
    """Lower-case, accent-free, punctuation-free words separated by single spaces.

    "Schölkopf, B." and "Scholkopf B" fold to the same key; "{GPT}-4: {A} Study" folds to
    "gpt 4 a study". Used for dedupe keys only.
    """
    if "\\" in text or "{" in text:
        text = _LATEX_MARKUP.sub("", text)
    if not text.isascii():  # most titles and names are ASCII: skip the per-character pass
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text.casefold()).strip()


def collapse_whitespace(text: str) -> str:
    """Join hard-wrapped lines (arXiv wraps titles and abstracts) into single spaces."""
    return " ".join(text.split())
