"""Words for matching and similarity: folded, stop words removed, Snowball-stemmed.

Shared by the suggestion service (ingestion) and related papers (papers), so it sits in core.
"""

import re
import threading
from functools import lru_cache

import snowballstemmer

from apps.core.text import fold

STOP_WORDS = frozenset(
    (  # noqa: SIM905 - a word list reads better as prose
        "a an and are as at be by for from has have in into is it its of on or our that the "
        "their this to towards via we with what when where which while how can do does using "
        "based study studies approach approaches toward large language model models llm llms "
        "under over between not no new more most all any both each other such than then "
        "these those through about across after before beyond within without up down out off "
        "only also very well further here there who whom why will would should could may "
        "might must shall been being was were if but so because one two three first second "
        "vs versus per number part paper papers propose proposes proposed show shows results"
    ).split()
)

_stemmer = snowballstemmer.stemmer("english")
_stemmer_lock = threading.Lock()  # the Snowball stemmer keeps state between calls
_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=200_000)  # words repeat across abstracts: stem each once per process
def stem(word: str) -> str:
    """The Snowball (Porter 2) stem: "evaluation", "evaluating", "evaluate" → "evalu"."""
    if word.isdigit():  # no suffix rule matches digits; the pure-Python stemmer is ~0.1 ms
        return word
    with _stemmer_lock:
        return str(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case, accent-free words of two characters or more."""
    # ASCII text needs no accent folding; skipping it halves the cost on arXiv abstracts.
    folded = text.lower() if text.isascii() else fold(text)
    return [w for w in _WORD.findall(folded) if len(w) > 1]


def analyse(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """(every stemmed word, in order — for keyword phrases such as "model merging";
    the content words as (stem, surface word) pairs, stop words removed — for similarity)."""
    found = words(text)
    return [stem(w) for w in found], [(stem(w), w) for w in found if w not in STOP_WORDS]


def tokens(text: str) -> list[str]:
    """Folded, stemmed content words of `text` (stop words removed)."""
    return [s for s, _ in analyse(text)[1]]


def phrase_tokens(keyword: str) -> tuple[str, ...]:
    """A keyword as the stemmed word sequence it matches in a text's full word list."""
    return tuple(stem(w) for w in words(keyword))
