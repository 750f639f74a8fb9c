"""The one brace scanner: where BibTeX/LaTeX text is inside `{…}` and where it is not.

A backslash escapes what follows it (`\\{` is a brace character, not a group; `\\emph` is one
control word), so every caller agrees on what "outside braces" means.
"""

import re
from collections.abc import Iterator
from functools import lru_cache

_ESCAPE = r"\\(?:[A-Za-z]+|.)"


@lru_cache(maxsize=32)
def _scanner(pattern: str, flags: int) -> re.Pattern[str]:
    # Escapes first (they hide braces and separators), then what the caller looks for, then
    # braces: so a caller's token that contains braces (inline math) is taken whole.
    return re.compile(rf"(?P<escape>{_ESCAPE})|(?P<hit>{pattern})|(?P<brace>[{{}}])", flags)


@lru_cache(maxsize=32)
def _plain(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags | re.DOTALL)


def scan(text: str, pattern: str, flags: int = 0) -> Iterator[tuple[re.Match[str], int]]:
    """Each match of `pattern` in `text` that is not escaped, with its brace depth."""
    depth = 0
    for match in _scanner(pattern, flags | re.DOTALL).finditer(text):
        if match.lastgroup == "brace":
            depth = depth + 1 if match.group(0) == "{" else max(depth - 1, 0)
        elif match.lastgroup == "hit":
            yield match, depth


def split_top_level(text: str, pattern: str, flags: int = 0) -> list[str]:
    """`text` split on the matches of `pattern` outside braces."""
    if "{" not in text and "\\" not in text:  # nothing to hide a separator: the fast path
        return _plain(pattern, flags).split(text)
    parts, start = [], 0
    for match, depth in scan(text, pattern, flags):
        if depth == 0:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def unmatched_braces(text: str) -> set[int]:
    """Positions of the braces that have no partner (escaped braces are not braces)."""
    if "{" not in text and "}" not in text:
        return set()
    unmatched: set[int] = set()
    stack: list[int] = []
    for match in _scanner("(?!)", re.DOTALL).finditer(text):
        if match.lastgroup != "brace":
            continue
        if match.group(0) == "{":
            stack.append(match.start())
        elif stack:
            stack.pop()
        else:
            unmatched.add(match.start())
    unmatched.update(stack)
    return unmatched


def balanced(text: str) -> bool:
    """Whether every brace of `text` has its partner."""
    return not unmatched_braces(text)


def escape_unmatched(text: str) -> str:
    """Escape every brace that has no partner, so a hand-edited value cannot end a field."""
    unmatched = unmatched_braces(text)
    if not unmatched:
        return text
    return "".join("\\" + c if i in unmatched else c for i, c in enumerate(text))
