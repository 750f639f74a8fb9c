"""The one name rule: BibTeX's, as bibtexparser 2 implements it.

A name is First von Last, Jr: "Ludwig van Beethoven" and "van Beethoven, Ludwig" are first
Ludwig, von "van", last Beethoven; "King, Jr, Martin Luther" has jr "Jr"; "{Barnes and
Noble}" is one last name. Everything that splits a name reads these parts:

- the family name CSL-JSON and RIS write is von + last ("van Beethoven");
- the dedupe key (`family_key`) and generated citation keys use the last part alone
  ("beethoven"): sources disagree on whether a particle is written ("Van", "van", left out),
  and an upper-case "Van" is first name by BibTeX's rule, so the particle would make one
  author two;
- the importer turns "Last, First" and "Last, Jr, First" into the display name
  "First von Last Jr", which the rule reads back as the same family name.
"""

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache

from bibtexparser.middlewares.names import parse_single_name_into_parts

from apps.core.bibliography.braces import split_top_level
from apps.core.bibliography.codec import text_to_latex
from apps.core.bibliography.fields import display_text
from apps.core.text import fold

ET_AL = "others"
# Generational suffixes a display name ends with ("Martin Luther King Jr").
GENERATIONAL = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_WORD_AND = re.compile(r"(?:^|\s)and(?:\s|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Name:
    """The four parts of a name, each as written (words joined by single spaces)."""

    first: str
    von: str
    last: str
    jr: str

    @property
    def family(self) -> str:
        """The family name as CSL and RIS write it: von and last."""
        return " ".join(part for part in (self.von, self.last) if part)

    @property
    def given(self) -> str:
        return self.first


@lru_cache(maxsize=65536)  # names repeat across a harvest
def parse_name(name: str) -> Name:
    """The parts of one name (display text or BibTeX); never raises on odd input.

    One addition to BibTeX's rule: a trailing "Jr", "Sr", "II"… after a space is the jr part
    ("Martin Luther King Jr"), because display names put it there (BibTeX itself can only
    say so as "King, Jr, Martin Luther", and would read the display form's last name as Jr).
    """
    words = name.split()
    if (
        len(words) > 2
        and words[-1].lower() in GENERATIONAL
        and len(split_top_level(name, ",")) == 1
    ):
        return dataclasses.replace(parse_name(" ".join(words[:-1])), jr=words[-1])
    parts = parse_single_name_into_parts(" ".join(words), strict=False)
    return Name(*(" ".join(words) for words in (parts.first, parts.von, parts.last, parts.jr)))


@lru_cache(maxsize=65536)
def family_key(name: str) -> str:
    """Folded last name ("Ludwig van Beethoven" → "beethoven"): what first-author matching
    and generated citation keys use."""
    return fold(parse_name(name).last)


def split_names(latex: str) -> list[str]:
    """The names of a BibTeX name list, as written: split on `and` outside braces.

    The brace scanner, not bibtexparser's `split_multiple_persons_names`: that one drops
    the first two characters of a name that starts with a control word ("\\textbackslash").
    """
    latex = latex.strip()
    if not latex:
        return []
    return split_top_level(latex, _AND.pattern, re.IGNORECASE)


def display_names(latex: str) -> list[str]:
    """Display names, in order, from a BibTeX name list.

    "Hou, Xinyi and Brinch Hansen, Per and others" → ["Xinyi Hou", "Per Brinch Hansen"]:
    "Last, First" and "von Last, Jr, First" become "First von Last Jr"; "others" (et al.)
    is dropped; LaTeX is decoded.
    """
    names = []
    for name in split_names(latex):
        if name.strip().lower() == ET_AL:
            continue
        text = display_text(_first_last(name))
        if text:
            names.append(text)
    return names


def _first_last(name: str) -> str:
    """ "von Last, First" → "First von Last"; "von Last, Jr, First" → "First von Last Jr".

    The comma forms of the rule, without splitting the parts any further: the words keep their
    order, so this is all a display name needs (and it runs for every name of an import)."""
    if "," not in name:
        return name
    parts = [part.strip() for part in split_top_level(name, ",")]
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return f"{parts[1]} {parts[0]}"
    return f"{', '.join(parts[2:])} {parts[0]} {parts[1]}"


def name_to_latex(name: str) -> str:
    """One display name as a BibTeX name: braced whole when a comma or a lone "and" in it
    would otherwise split it (or when it is "others", which BibTeX reads as et al.)."""
    latex = text_to_latex(name)
    if "," in name or _WORD_AND.search(name) or name.strip().lower() == ET_AL:
        return "{" + latex + "}"
    return latex


def names_to_latex(names: list[str] | tuple[str, ...]) -> str:
    return " and ".join(name_to_latex(name) for name in names)


def csl_name(name: str) -> dict[str, str]:
    """A display name as a CSL name: "Ludwig van Beethoven" → family "van Beethoven", given
    "Ludwig"; a name with no given part (one word, an organisation) stays literal."""
    parts = parse_name(name)
    if not parts.given or not parts.family:
        return {"literal": " ".join(name.split())}
    result = {"family": parts.family, "given": parts.given}
    if parts.jr:
        result["suffix"] = parts.jr
    return result


def ris_name(name: str) -> str:
    """A display name as RIS writes it: "Last, First" ("van Beethoven, Ludwig"), with
    ", Jr" after it; a name with no given part as it is."""
    parts = csl_name(name)
    if "literal" in parts:
        return parts["literal"]
    suffix = f", {parts['suffix']}" if "suffix" in parts else ""
    return f"{parts['family']}, {parts['given']}{suffix}"
