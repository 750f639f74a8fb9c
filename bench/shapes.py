"""Bibliographies shaped like real ones, generated deterministically for the import and
ingestion benchmarks (no network, no copied text: every word and name is built here).

The shape is the one a real 7,166-entry physics library showed (issue 14): authors per entry
with a long tail (median 5, 90th percentile 10, a few large collaborations up to ~129) and
mostly distinct people (about 3 distinct authors per entry over the file, 42,074 authorships
for 21,623 people), so author creation dominates a first import the way it does for users.
The synthetic files the benchmarks used before (2-8 authors from a small shared pool) made
almost every author an existing one after the first few hundred entries, and hid that cost.
"""

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

# Authorships that introduce a new person: 21,623 people / 42,074 authorships in the library.
NEW_AUTHOR_SHARE = 0.514
# Authors per entry: a log-normal body (median 5, p90 10) and a thin tail of collaborations.
MEDIAN_AUTHORS, P90_AUTHORS, MAX_AUTHORS = 5, 10, 129
COLLABORATION_SHARE = 0.006

_ONSETS = "b c d f g h j k l m n p r s t v w z br ch dr fr gr kr pl sh st th tr".split()  # noqa: SIM905
_VOWELS = "a e i o u a e i o ai ei ou ia".split()  # noqa: SIM905
_CODAS = ["", "", "", "n", "r", "s", "l", "m", "k", "t", "nd", "rt"]
# Accented letters as a BibTeX file from a reference manager writes them (macros) and as
# arXiv sends them (Unicode).
_ACCENTS = {"a": ("{\\'a}", "á"), "e": ('{\\"e}', "ë"), "o": ('{\\"o}', "ö"), "u": ("{\\'u}", "ú")}
_PARTICLES = ["van", "van der", "de", "von", "di", "da", "le"]
# Words of the field (suggestions score on them) mixed with generated ones.
DOMAIN_WORDS = (  # noqa: SIM905 - a word list reads better as prose
    "model language large software engineering code generation test evaluation benchmark "
    "prompt agent requirement dataset training fine tuning alignment deployment inference "
    "quantization serving latency repair vulnerability security robustness hallucination "
    "retrieval reasoning program synthesis review maintenance evolution empirical study "
    "developer tool automated analysis static dynamic neural transformer token context window "
    "performance accuracy metric human preference feedback reinforcement learning data quality "
    "quantum spin lattice phase transition field theory scattering density state energy"
).split()


def _syllable(rng: random.Random) -> str:
    return rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)


def make_words(rng: random.Random, count: int) -> list[str]:
    """`count` distinct made-up words of two or three syllables."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(_syllable(rng) for _ in range(rng.choice((2, 2, 3)))))
    return sorted(words)


@dataclass(frozen=True, slots=True)
class Person:
    """A generated author: given names, an optional particle, a family name; `accent` is the
    position of an accented vowel in the family name (-1: none)."""

    given: str
    particle: str
    family: str
    accent: int = -1

    def family_as(self, latex: bool) -> str:
        if self.accent < 0:
            return self.family
        letter = self.family[self.accent]
        macro, unicode = _ACCENTS[letter]
        return (
            self.family[: self.accent]
            + (macro if latex else unicode)
            + self.family[self.accent + 1 :]
        )

    def bibtex(self) -> str:
        """As reference managers write it: "von Last, First"."""
        last = f"{self.particle} {self.family_as(True)}".strip()
        return f"{last}, {self.given}"

    def display(self) -> str:
        """As arXiv writes it: "First von Last"."""
        return " ".join(p for p in (self.given, self.particle, self.family_as(False)) if p)


class People:
    """Draws authors for entries: a new person with NEW_AUTHOR_SHARE, else someone already
    drawn, in proportion to how often they were (prolific authors recur, most appear once)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.given = [w.capitalize() for w in make_words(rng, 900)]
        self.families = [w.capitalize() for w in make_words(rng, 12000)]
        self.people: list[Person] = []
        self.authorships: list[int] = []  # one index per authorship drawn so far
        self.seen: set[tuple[str, str, str]] = set()

    def _new(self) -> int:
        rng = self.rng
        while True:
            given = rng.choice(self.given)
            if rng.random() < 0.35:  # initials only, as many physics exports have
                given = given[0] + "."
                if rng.random() < 0.4:
                    given += f" {rng.choice(self.given)[0]}."
            elif rng.random() < 0.15:
                given += f" {rng.choice(self.given)[0]}."
            family = rng.choice(self.families)
            if rng.random() < 0.2:
                family = f"{family}-{rng.choice(self.families)}"
            particle = rng.choice(_PARTICLES) if rng.random() < 0.04 else ""
            identity = (given.lower(), particle, family.lower())
            if identity not in self.seen:
                break
        self.seen.add(identity)
        accents = [i for i, c in enumerate(family) if c in _ACCENTS and i > 0]
        accent = rng.choice(accents) if accents and rng.random() < 0.12 else -1
        self.people.append(Person(given, particle, family, accent))
        return len(self.people) - 1

    def draw(self, count: int) -> list[Person]:
        chosen: list[int] = []
        taken: set[int] = set()
        while len(chosen) < count:
            if not self.authorships or self.rng.random() < NEW_AUTHOR_SHARE:
                index = self._new()
            else:
                index = self.rng.choice(self.authorships)
                if index in taken:
                    continue
            taken.add(index)
            chosen.append(index)
        self.authorships += chosen
        return [self.people[i] for i in chosen]


def author_count(rng: random.Random) -> int:
    """Authors of one entry: log-normal with the library's median and p90, plus a tail."""
    if rng.random() < COLLABORATION_SHARE:
        return round(math.exp(rng.uniform(math.log(20), math.log(MAX_AUTHORS))))
    sigma = math.log(P90_AUTHORS / MEDIAN_AUTHORS) / 1.2816
    return max(1, min(MAX_AUTHORS, round(rng.lognormvariate(math.log(MEDIAN_AUTHORS), sigma))))


def author_counts(rng: random.Random, n: int) -> list[int]:
    """Counts for `n` entries; one entry has the maximum (the largest collaboration)."""
    counts = [author_count(rng) for _ in range(n)]
    if n >= 100:
        counts[n // 3] = MAX_AUTHORS
    return counts


class Text:
    """Titles and abstracts: words of the field mixed with made-up ones."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.vocabulary = DOMAIN_WORDS + make_words(rng, 1500)

    def words(self, low: int, high: int) -> str:
        rng = self.rng
        return " ".join(rng.choice(self.vocabulary) for _ in range(rng.randint(low, high)))

    def title(self, serial: int) -> str:
        # The serial keeps titles distinct: real libraries hold distinct papers.
        return f"{self.words(5, 13).capitalize()} {serial}"


def shape_of(counts: list[int], people: int) -> dict[str, float]:
    """Median, p90 and maximum authors per entry; distinct authors per entry."""
    ordered = sorted(counts)
    return {
        "median": ordered[len(ordered) // 2],
        "p90": ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))],
        "max": ordered[-1],
        "authorships": sum(counts),
        "people": people,
        "people_per_entry": round(people / max(1, len(counts)), 2),
    }


@dataclass(slots=True)
class Bibliography:
    """Entries' authors and text, shared by the BibTeX and the Atom writers."""

    counts: list[int]
    authors: list[list[Person]]
    text: Text
    rng: random.Random

    @property
    def shape(self) -> dict[str, float]:
        return shape_of(self.counts, len({p for entry in self.authors for p in entry}))


def bibliography(n: int, seed: int) -> Bibliography:
    rng = random.Random(seed)
    counts = author_counts(rng, n)
    people = People(rng)
    return Bibliography(counts, [people.draw(c) for c in counts], Text(rng), rng)


# --- BibTeX, as a reference manager exports a physics library -----------------------------

_TYPES = [("article", 74), ("misc", 10), ("inproceedings", 6), ("book", 3)]
_TYPES += [("phdthesis", 3), ("incollection", 2), ("techreport", 2)]
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()  # noqa: SIM905


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def bibtex_file(n: int, seed: int = 14) -> tuple[str, dict[str, float]]:
    """A BibTeX file of `n` entries and its shape. Fields as Zotero/JabRef exports carry them:
    journal, volume, number, pages, DOI, arXiv eprints with archivePrefix and primaryClass,
    abstracts on about half, urls, ISSN, keywords, file and urldate fields, months as macros,
    accents as macros, protective braces and math in titles, `@string` venues."""
    bib = bibliography(n, seed)
    rng, text = bib.rng, bib.text
    journals = [" ".join(w.capitalize() for w in text.words(2, 4).split()) for _ in range(60)]
    out = ["@string{prl = {Letters of Generated Physics}}\n"]
    for i, authors in enumerate(_entries(bib)):
        kind = _weighted(rng, _TYPES)
        title = text.title(i)
        if rng.random() < 0.25:
            title = "{" + title.split(" ", 1)[0].upper() + "} " + title.split(" ", 1)[1]
        if rng.random() < 0.15:
            title += rng.choice([" in $^{3}$He", " at $T_c$", " with $\\mathcal{N}=4$"])
        names = " and ".join(p.bibtex() for p in authors)
        if len(authors) > 60 and rng.random() < 0.5:
            names = " and ".join(p.bibtex() for p in authors[:50]) + " and others"
        year = rng.randint(1975, 2025)
        first = authors[0].family.split("-")[0]
        key = f"{first}{year}{text.words(1, 1).capitalize()}{i}"
        fields = [("title", "{" + title + "}"), ("author", "{" + names + "}")]
        fields.append(("year", f"{{{year}}}"))
        if kind == "article":
            venue = "prl" if rng.random() < 0.1 else "{" + rng.choice(journals) + "}"
            fields += [("journal", venue), ("volume", f"{{{rng.randint(1, 120)}}}")]
            if rng.random() < 0.6:
                fields.append(("number", f"{{{rng.randint(1, 24)}}}"))
        elif kind in ("inproceedings", "incollection"):
            fields.append(("booktitle", "{Proceedings of the " + rng.choice(journals) + "}"))
        elif kind == "phdthesis":
            fields.append(("school", "{University of " + text.words(1, 1).capitalize() + "}"))
        elif kind == "techreport":
            fields.append(("institution", "{" + rng.choice(journals) + " Laboratory}"))
        elif kind == "book":
            fields.append(("publisher", "{" + text.words(1, 2).title() + " Press}"))
        if kind != "misc" and rng.random() < 0.85:
            start = rng.randint(1, 9000)
            fields.append(("pages", f"{{{start}--{start + rng.randint(1, 40)}}}"))
        if rng.random() < 0.4:
            fields.append(("month", rng.choice(_MONTHS)))
        if kind != "misc" and rng.random() < 0.8:
            fields.append(("doi", f"{{10.{1000 + i % 900}/gen.{year}.{i}}}"))
        if kind == "misc" or rng.random() < 0.3:
            arxiv = f"{(year % 100) or 7:02d}{rng.randint(1, 12):02d}.{10000 + i:05d}"
            if year < 2007:
                arxiv = f"cond-mat/{year % 100:02d}{rng.randint(1, 12):02d}{i % 1000:03d}"
            fields += [("eprint", "{" + arxiv + "}"), ("archivePrefix", "{arXiv}")]
            fields.append(("primaryClass", "{" + rng.choice(["cond-mat.str-el", "quant-ph"]) + "}"))
        if rng.random() < 0.5:
            fields.append(("abstract", "{" + text.words(90, 230).capitalize() + ".}"))
        if rng.random() < 0.5:
            fields.append(("url", f"{{https://example.org/gen/{i}}}"))
        if rng.random() < 0.4:
            fields.append(("issn", f"{{{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}}}"))
        if rng.random() < 0.2:
            fields.append(("keywords", "{" + ", ".join(text.words(3, 6).split()) + "}"))
        if rng.random() < 0.25:
            fields.append(("file", f"{{Full Text PDF:files/{i}/{first}.pdf:application/pdf}}"))
            fields.append(
                ("urldate", f"{{2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}}}")
            )
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        out.append(f"@{kind}{{{key},\n{body}\n}}\n")
    return "\n".join(out), bib.shape


def _entries(bib: Bibliography) -> Iterator[list[Person]]:
    yield from bib.authors
