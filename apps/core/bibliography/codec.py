"""LaTeX in BibTeX fields ↔ Unicode display text.

`latex_to_text` decodes what BibTeX files carry (accent macros, escapes, protective braces,
dashes and quotes, font commands) into the Unicode the knowledge base shows and searches;
inline math (`$\\tau$`) stays as written. `text_to_latex` is its inverse on display text:
`latex_to_text(text_to_latex(s)) == s` for any text, so an export imports back unchanged.

Speed matters (imports decode tens of thousands of fields): most fields are plain text and
return at once; a one-pass tokenizer handles the common macros; only what it does not know
goes to pylatexenc, which is about a hundred times slower.

`latex_to_unicode` is the display-side reading of titles and abstracts: only inline math
that converts unambiguously (`$\\tau$` → τ) is replaced, the rest stays as written.
"""

# The tables map LaTeX to the look-alike Unicode characters on purpose.
# ruff: noqa: RUF001

import functools
import logging
import re
import unicodedata
from functools import lru_cache

from pylatexenc import latex2text, latexwalker

from apps.core.bibliography.braces import balanced, scan

logger = logging.getLogger(__name__)

# Anything that can make decoding differ from the text itself.
# Every pattern that scans whole fields starts with a lookahead on the characters its
# alternatives can start with: `re` then skips plain text quickly instead of trying each
# alternative at each position (about 7 times faster on an abstract).
_NEEDS_DECODING = re.compile(r"(?=[\\{}$~`'-])(?:[\\{}$~]|--|``|'')")

# Accent commands: the combining mark each one puts on its letter.
_ACCENTS = {
    '"': "\u0308",
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "b": "\u0331",
    "d": "\u0323",
    "r": "\u030a",
}
# Control words that stand for one character (or a word), and those that only set a font.
_SYMBOLS = {
    "ss": "ß",
    "o": "ø",
    "O": "Ø",
    "aa": "å",
    "AA": "Å",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "textendash": "–",
    "textemdash": "—",
    "textbackslash": "\\",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textunderscore": "_",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textdollar": "$",
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "BibTeX": "BibTeX",
    "copyright": "©",
    "textcopyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "S": "§",
    "P": "¶",
    "pounds": "£",
    "euro": "€",
    "textdegree": "°",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "guillemotleft": "«",
    "guillemotright": "»",
    "textbullet": "•",
    "textperiodcentered": "·",
}
_FONT_COMMANDS = frozenset(
    {
        "emph",
        "textit",
        "textbf",
        "texttt",
        "textsc",
        "textrm",
        "textsf",
        "textsl",
        "textup",
        "textmd",
        "textnormal",
        "text",
        "mbox",
        "url",
        "protect",
        "relax",
        "em",
        "it",
        "bf",
        "tt",
        "sc",
        "rm",
        "sf",
        "sl",
        "bfseries",
        "itshape",
        "scshape",
        "ttfamily",
        "upshape",
        "mdseries",
        "normalfont",
    }
)
# Control symbols: escapes of special characters, and spacing that display text has no use for.
_CONTROL_SYMBOLS = {
    "%": "%",
    "&": "&",
    "#": "#",
    "_": "_",
    "$": "$",
    "{": "{",
    "}": "}",
    " ": " ",
    "\\": " ",
    ",": " ",
    ";": " ",
    ":": " ",
    "!": "",
    "-": "",
    "/": "",
    "@": "",
}

_MATH = r"\$(?:[^$\\]|\\.)+\$"
_TOKEN = re.compile(
    r"(?=[\\{}$~`'-])"
    rf"(?:(?P<math>{_MATH})"
    # \"u  \"{u}  \'\i  \'{\i}   (accents written with a symbol)
    r"|\\(?P<acc>[\"'`^~=.])\s*(?:\{\s*(?P<arg1>\\[ij]|[A-Za-z])\s*\}|(?P<arg2>\\[ij](?![A-Za-z])|[A-Za-z]))"
    # \c{c}  \v s   (accents written with a letter need braces or a space)
    r"|\\(?P<lacc>[uvHckbdr])(?:\s*\{\s*(?P<arg3>\\[ij]|[A-Za-z])\s*\}|\s+(?P<arg4>[A-Za-z]))"
    r"|\\(?P<word>[A-Za-z]+)\s*(?:\{\})?"
    r"|\\(?P<sym>[^A-Za-z])"
    r"|(?P<brace>[{}])"
    r"|(?P<tilde>~)"
    r"|(?P<dash>---?)"
    r"|(?P<lquote>``)"
    r"|(?P<rquote>''))",
    re.DOTALL,
)


class _Unsupported(Exception):
    """The fast decoder met a construct it does not know; pylatexenc takes over."""


def _accented(accent: str, letter: str) -> str:
    base = {"\\i": "i", "\\j": "j"}.get(letter, letter)
    return unicodedata.normalize("NFC", base + _ACCENTS[accent])


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    if kind == "math":
        return match.group(0)
    if kind in ("acc", "arg1", "arg2"):
        return _accented(match["acc"], match["arg1"] or match["arg2"])
    if kind in ("lacc", "arg3", "arg4"):
        return _accented(match["lacc"], match["arg3"] or match["arg4"])
    if kind == "word":
        word = match["word"]
        if word in _SYMBOLS:
            return _SYMBOLS[word]
        if word in _FONT_COMMANDS:
            return ""
        raise _Unsupported(word)
    if kind == "sym":
        symbol = match["sym"]
        if symbol in _CONTROL_SYMBOLS:
            return _CONTROL_SYMBOLS[symbol]
        raise _Unsupported(symbol)
    if kind == "brace":
        return ""
    if kind == "tilde":
        return " "
    if kind == "dash":
        return "—" if len(match.group(0)) == 3 else "–"
    if kind == "lquote":
        return "“"
    return "”"


def latex_to_text(latex: str) -> str:
    """Unicode display text for a BibTeX field value (whitespace is left to the caller)."""
    if not _NEEDS_DECODING.search(latex):
        return latex
    try:
        return _TOKEN.sub(_replace, latex)
    except _Unsupported:
        return _slow_latex_to_text(latex)


@lru_cache(maxsize=1)
def _pylatexenc():  # type: ignore[no-untyped-def]
    from pylatexenc.latex2text import LatexNodes2Text

    return LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)


def _slow_latex_to_text(latex: str) -> str:
    """pylatexenc for what the fast path does not know; it drops unknown macros and keeps
    their arguments. It can raise on odd input, so markup is then stripped by hand."""
    try:
        text = _pylatexenc().latex_to_text(latex)
    except Exception:  # pylatexenc raises IndexError and friends on unusual macro use
        logger.debug("pylatexenc could not decode %r", latex[:80], exc_info=True)
        text = re.sub(r"\\[A-Za-z]+\s*|\\(.)|[{}]", lambda m: m.group(1) or "", latex)
    return text.replace("\xa0", " ")


# --- Encoding -----------------------------------------------------------------------------

_TEXT_SPECIAL = re.compile(r"(?=[\\{}%&#_$~^`'-])(?:[\\{}%&#_$~^]|-(?=-)|`(?=`)|'(?='))")
_TEXT_ESCAPES = {
    "\\": "\\textbackslash{}",
    "{": "\\{",
    "}": "\\}",
    "%": "\\%",
    "&": "\\&",
    "#": "\\#",
    "_": "\\_",
    "$": "\\$",
    "~": "\\textasciitilde{}",
    "^": "\\textasciicircum{}",
    # An empty group after the character keeps LaTeX (and latex_to_text) from making a
    # ligature of it and the next one: "--" would become an en dash.
    "-": "-{}",
    "`": "`{}",
    "'": "'{}",
}
_MATH_SPAN = re.compile(_MATH, re.DOTALL)


def needs_escaping(text: str) -> bool:
    """Whether `text_to_latex` would change `text` (cheap; true for anything LaTeX-like)."""
    return _TEXT_SPECIAL.search(text) is not None


def text_to_latex(text: str) -> str:
    """LaTeX for display text, safe inside a braced BibTeX field: special characters are
    escaped, inline math passes through (when its braces balance), Unicode stays Unicode."""
    if not _TEXT_SPECIAL.search(text):
        return text
    parts: list[str] = []
    last = 0
    for match in _MATH_SPAN.finditer(text):
        if not _is_safe_math(match.group(0)):
            continue
        parts.append(_escape(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_escape(text[last:]))
    return "".join(parts)


def _escape(text: str) -> str:
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group(0)], text)


def _is_safe_math(latex: str) -> bool:
    """Whether inline math can be written as it is: its braces balance (so the field cannot
    end early) and it holds no unescaped % & # (a comment, an alignment, a parameter)."""
    return balanced(latex) and next(scan(latex, "[%&#]"), None) is None


# --- Inline math for display ---------------------------------------------------------------

# `$…$` not preceded by a backslash, content without `$`, at most 200 characters.
_INLINE_MATH = re.compile(r"(?<!\\)\$([^$]{1,200})(?<!\\)\$")
# A span without macros must look like a formula in letters (`$k$`, `$O(n^2)$`), not like
# an amount of money (`$5 and $`), to be converted.
_LETTER_FORMULA = re.compile(r"[A-Za-z][\w^{}()+\-*/=<>,.'| ]*")
# Font macros whose one argument of plain letters converts to styled Unicode or plain text.
_FONT_MACROS = frozenset(
    {"mathbb", "mathcal", "mathfrak", "mathrm", "mathit", "mathbf", "mathsf", "mathtt", "text"}
)


@functools.cache
def _math_converter() -> latex2text.LatexNodes2Text:
    return latex2text.LatexNodes2Text(math_mode="text", strict_latex_spaces=True)


@functools.cache
def _text_context() -> object:
    return latex2text.get_default_latex_context_db()


def _is_symbol_macro(node: latexwalker.LatexMacroNode) -> bool:
    spec = _text_context().get_macro_spec(node.macroname)  # type: ignore[attr-defined]
    if spec is None:
        return False
    arguments = [a for a in (node.nodeargd.argnlist if node.nodeargd else []) if a is not None]
    if node.macroname in _FONT_MACROS:
        return len(arguments) == 1 and _plain_group(arguments[0])
    repl = spec.simplify_repl
    return not arguments and isinstance(repl, str) and bool(repl) and "%" not in repl


def _plain_group(node: latexwalker.LatexNode) -> bool:
    if isinstance(node, latexwalker.LatexGroupNode):
        return all(
            isinstance(child, latexwalker.LatexCharsNode) and child.chars.isalnum()
            for child in node.nodelist
        )
    return isinstance(node, latexwalker.LatexCharsNode) and node.chars.isalnum()


def _all_convertible(nodes: list) -> tuple[bool, bool]:
    """(every node converts unambiguously, at least one macro seen)."""
    saw_macro = False
    for node in nodes:
        if node is None or isinstance(node, latexwalker.LatexCharsNode):
            continue
        if isinstance(node, latexwalker.LatexGroupNode):
            ok, inner_macro = _all_convertible(node.nodelist)
            if not ok:
                return False, saw_macro
            saw_macro |= inner_macro
        elif isinstance(node, latexwalker.LatexMacroNode):
            if not _is_symbol_macro(node):
                return False, saw_macro
            saw_macro = True
        elif isinstance(node, latexwalker.LatexSpecialsNode):
            continue  # ~, --, and the like: latex2text renders them as their characters
        else:
            return False, saw_macro  # comments, environments, nested math
    return True, saw_macro


def _convert_span(content: str) -> str | None:
    """The Unicode reading of one math span, or None when it would be a guess."""
    if content != content.strip():
        return None
    try:
        walker = latexwalker.LatexWalker(content, tolerant_parsing=False)
        nodes, _, _ = walker.get_latex_nodes()
    except latexwalker.LatexWalkerError:
        return None
    ok, saw_macro = _all_convertible(nodes)
    if not ok or (not saw_macro and not _LETTER_FORMULA.fullmatch(content)):
        return None
    try:
        text = _math_converter().latex_to_text(content)
    except Exception:  # pylatexenc has no narrower error type; never break a page over it
        logger.warning("latex2text failed on %r", content, exc_info=True)
        return None
    return text if text.strip() and "\\" not in text else None


@functools.lru_cache(maxsize=4096)
def latex_to_unicode(text: str) -> str:
    """`text` with each unambiguous inline-math span replaced by its Unicode reading."""
    if "$" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        converted = _convert_span(match.group(1))
        return match.group(0) if converted is None else converted

    return _INLINE_MATH.sub(replace, text)
