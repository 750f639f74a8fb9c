"""Readable display text for titles and abstracts that carry inline LaTeX math.

arXiv titles such as ``$\\tau$Test`` or ``Learning $\\mathcal{O}(n)$ programs`` read badly as
written. Only ``$…$`` spans are converted, and only when the conversion is unambiguous: every
macro in the span is a symbol pylatexenc knows (``\\tau`` → τ, ``\\leq`` → ≤) or a font macro
around plain letters (``\\mathbb{R}`` → double-struck R). Anything else — unknown macros,
fractions, roots, a lone dollar sign, a span that looks like a price — stays exactly as
written. The result is plain text: callers (templates, feeds) escape it like any other
stored text.
"""

import functools
import logging
import re

from pylatexenc import latex2text, latexwalker

logger = logging.getLogger(__name__)

# `$…$` not preceded by a backslash, content without `$`, at most 200 characters.
_MATH_SPAN = re.compile(r"(?<!\\)\$([^$]{1,200})(?<!\\)\$")
# A span without macros must look like a formula in letters (`$k$`, `$O(n^2)$`), not like
# an amount of money (`$5 and $`), to be converted.
_LETTER_FORMULA = re.compile(r"[A-Za-z][\w^{}()+\-*/=<>,.'| ]*")
# Font macros whose one argument of plain letters converts to styled Unicode or plain text.
_FONT_MACROS = frozenset(
    {"mathbb", "mathcal", "mathfrak", "mathrm", "mathit", "mathbf", "mathsf", "mathtt", "text"}
)


@functools.cache
def _converter() -> latex2text.LatexNodes2Text:
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
        text = _converter().latex_to_text(content)
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

    return _MATH_SPAN.sub(replace, text)
