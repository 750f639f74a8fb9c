"""The BibTeX parser: every entry block becomes one record or one failure, with BibTeX's own
rules for macros, names, crossrefs and delimiters, and LaTeX decoded for display."""

import re
from pathlib import Path

import pytest

from apps.core.bibliography.codec import latex_to_text, text_to_latex
from apps.ingestion.bibtex.parser import (
    BibtexInputError,
    BibtexTooLargeError,
    ParsedEntry,
    parse_bibtex,
    read_bibtex_bytes,
)

FILES = Path(__file__).parent / "bibtex_files"
ENTRY_BLOCK = re.compile(r"^\s*@\s*(\w+)\s*[{(]", re.MULTILINE)


def entry_blocks(text: str) -> int:
    """Entry blocks as a reader counts them: every @type{ except @string/@comment/@preamble."""
    kinds = [kind.lower() for kind in ENTRY_BLOCK.findall(text)]
    return sum(kind not in ("string", "comment", "preamble") for kind in kinds)


def parse_file(name: str) -> dict[str, ParsedEntry]:
    parsed = parse_bibtex((FILES / name).read_text(encoding="utf-8"))
    return {entry.key: entry for entry in parsed.entries}


@pytest.mark.parametrize("name", sorted(p.name for p in FILES.glob("*.bib")))
def test_every_entry_block_becomes_exactly_one_entry(name: str) -> None:
    text = (FILES / name).read_text(encoding="utf-8")

    parsed = parse_bibtex(text)

    assert len(parsed.entries) == entry_blocks(text)
    assert [e.line for e in parsed.entries] == sorted(e.line for e in parsed.entries)
    assert all((e.record is None) == bool(e.error) for e in parsed.entries)


def test_string_macros_concatenation_months_and_both_delimiters() -> None:
    parsed = parse_bibtex((FILES / "macros.bib").read_text(encoding="utf-8"))
    entries = {entry.key: entry for entry in parsed.entries}

    concat = entries["concat2023"].record
    assert concat is not None
    assert concat.venue == (
        "Proceedings of the International Conference on Software Engineering 2023"
    )
    assert concat.bibtex_fields["month"] == "sep"  # kept as the month macro
    paren = entries["paren2021"].record
    assert paren is not None
    assert paren.title == "Parenthesis-Delimited Entries (and Quotes)"
    assert paren.authors[0].name == "Alan Turing"
    assert paren.venue == "Journal of Delimiters"
    assert paren.bibtex_fields["journal"] == "Journal of {Delimiters}"  # as written
    assert (parsed.strings, parsed.preambles, parsed.comments) == (2, 1, 1)
    undefined = entries["undefined2020"]
    assert undefined.record is not None
    assert undefined.record.bibtex_fields["note"] == "nosuchmacro"
    assert "undefined @string macros nosuchmacro" in undefined.notes[0]


def test_later_string_definitions_apply_to_later_entries() -> None:
    parsed = parse_bibtex(
        "@string{v = {First}}\n@misc{a, title = v}\n"
        "@string{v = {Second}}\n@misc{b, title = v # { and more}}\n"
    )

    assert [e.record.title for e in parsed.entries if e.record] == ["First", "Second and more"]


def test_accents_escapes_and_markup_are_decoded_while_the_raw_field_is_kept() -> None:
    entries = parse_file("accents.bib")

    record = entries["accents2019"].record
    assert record is not None
    assert record.title == "Über die GPT-4 Straße: 50% of $\\tau$-bench & more — fast"
    assert [a.name for a in record.authors] == [
        "Bernhard Schölkopf",
        "José François",
        "Jiří Dvořák",
        "Søren Østergaard",
    ]
    assert record.venue == "Revue d'Études"
    assert record.abstract == "We find that small models do not scale; see “quotes”."
    assert record.bibtex_fields["title"].startswith('{\\"U}ber die {GPT}-4')
    assert record.bibtex_fields["author"].startswith('Sch{\\"o}lkopf, Bernhard')
    unicode = entries["unicode2020"].record
    assert unicode is not None
    assert unicode.title == "Déjà vu: Unicode Titles Stay Unicode"
    assert unicode.bibtex_fields == {}  # nothing the columns cannot say
    assert entries["unknownmacro2021"].record.title == "An unknown macro and ä"  # type: ignore[union-attr]


def test_names_in_every_form_keep_their_order_and_others_is_dropped() -> None:
    record = parse_file("names.bib")["names2022"].record

    assert record is not None
    assert [a.name for a in record.authors] == [
        "Xinyi Hou",
        "Per Brinch Hansen",
        "Ludwig van Beethoven",
        "Martin Luther King Jr.",
        "Barnes and Noble",
    ]
    assert record.bibtex_fields["author"].endswith("{Barnes and Noble} and others")


@pytest.mark.parametrize(
    ("key", "arxiv_id"),
    [
        ("eprint2023", "2305.12345"),
        ("arxivid2022", "2201.00001"),
        ("url2021", "2104.00002"),
        ("journal2020", "2003.00003"),
        ("dblp2019", "1906.00346"),
        ("oldstyle1996", "hep-th/9603067"),
        ("arxivdoi2024", "2402.00004"),
        ("doi2018", None),
    ],
)
def test_arxiv_ids_are_found_wherever_bibliographies_put_them(key: str, arxiv_id: str) -> None:
    record = parse_file("arxiv.bib")[key].record

    assert record is not None
    assert record.arxiv_id == arxiv_id
    assert record.arxiv_version is None  # a citation's version is not the paper's latest


def test_identifier_details() -> None:
    entries = parse_file("arxiv.bib")

    eprint = entries["eprint2023"].record
    assert eprint is not None
    assert eprint.primary_category == "cs.SE"
    assert eprint.bibtex_fields == {"eprint": "2305.12345v2"}  # the version, as written
    assert entries["journal2020"].record.venue == ""  # type: ignore[union-attr]  # a preprint
    assert entries["oldstyle1996"].record.venue == ""  # type: ignore[union-attr]
    doi = entries["doi2018"].record
    assert doi is not None
    assert doi.doi == "10.1145/abc.def"
    assert doi.bibtex_fields["doi"] == "https://doi.org/10.1145/ABC.DEF"
    arxiv_doi = entries["arxivdoi2024"].record
    assert arxiv_doi is not None
    assert arxiv_doi.doi == "10.48550/arxiv.2402.00004"  # kept (a venue's DOI replaces it later)
    assert arxiv_doi.bibtex_fields["doi"] == "10.48550/arXiv.2402.00004"


def test_unreadable_identifiers_are_kept_and_noted_not_fatal() -> None:
    parsed = parse_bibtex(
        "@article{x, title = {T}, doi = {not a doi}, eprint = {nonsense}, archivePrefix = {arXiv}}"
    )

    entry = parsed.entries[0]
    assert entry.record is not None
    assert (entry.record.doi, entry.record.arxiv_id) == (None, None)
    assert entry.record.bibtex_fields["doi"] == "not a doi"
    assert entry.record.bibtex_fields["eprint"] == "nonsense"
    assert any("not a DOI" in note for note in entry.notes)
    assert any("not an arXiv id" in note for note in entry.notes)


def test_crossref_fills_missing_fields_from_the_target_in_the_file() -> None:
    entries = parse_file("crossref.bib")

    child = entries["child2023"].record
    assert child is not None
    assert child.year == 2023
    assert child.venue.startswith("Proceedings of the 45th International Conference")
    assert child.bibtex_fields["publisher"] == "IEEE"
    assert child.bibtex_fields["pages"] == "1--12"
    orphan = entries["orphan2023"]
    assert orphan.record is not None
    assert orphan.record.bibtex_fields["crossref"] == "notinthisfile"
    assert "notinthisfile is not in the file" in orphan.notes[0]


def test_every_entry_type_is_read_with_its_venue_field() -> None:
    entries = parse_file("types.bib")

    venues = {key: entry.record.venue for key, entry in entries.items() if entry.record}
    assert len(venues) == 16
    assert venues["t1"] == "TOSEM"
    assert venues["t2"] == venues["t2"] == "ICSE"
    assert venues["t3"] == "FSE"
    assert venues["t7"] == "ETH Zürich"
    assert venues["t9"] == "MSR"
    assert venues["t10"] == "Blog post"
    assert entries["t16"].record.year == 2021  # type: ignore[union-attr]  # from BibLaTeX `date`
    assert entries["t16"].record.bibtex_fields == {"version": "1.2", "date": "2021-05-14"}  # type: ignore[union-attr]
    assert entries["t15"].record.bibtex_fields["urldate"] == "2024-01-02"  # type: ignore[union-attr]


def test_malformed_blocks_fail_alone_with_their_line_key_and_reason() -> None:
    parsed = parse_bibtex((FILES / "malformed.bib").read_text(encoding="utf-8"))

    failed = [(e.line, e.key, e.error) for e in parsed.entries if e.error]
    assert [(line, key) for line, key, _ in failed] == [(6, "missingcomma"), (20, "unclosed")]
    assert "Expected comma after entry key" in failed[0][2]
    assert "closing }" in failed[1][2]
    good = [e.key for e in parsed.entries if e.record and e.record.title]
    assert good == ["good1", "good2", "good3", "good1", "badyear"]
    assert [(d.key, d.line, d.first_line) for d in parsed.duplicate_keys] == [("good1", 29, 1)]
    assert parsed.problems == [
        "line 34: @string block could not be parsed: Expected equals sign after field key, "
        'but found "'
    ]
    badyear = next(e for e in parsed.entries if e.key == "badyear")
    assert badyear.record is not None
    assert badyear.record.year is None
    assert badyear.record.bibtex_fields["year"] == "20201"


def test_a_field_given_twice_keeps_the_first_value_and_says_so() -> None:
    entry = parse_bibtex("@misc{k, title = {First}, TITLE = {Second}}").entries[0]

    assert entry.record is not None
    assert entry.record.title == "First"
    assert entry.notes == ["field title given twice: the first value was kept"]


def test_unbalanced_braces_in_a_value_fail_the_entry() -> None:
    parsed = parse_bibtex('@misc{k, title = "a } b"}\n@misc{ok, title = {Fine}}')

    assert parsed.entries[0].error == "field title: unbalanced braces"
    assert parsed.entries[1].record is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"  \n\t ", "The file is empty."),
        (b"%PDF-1.7\x00\x01\x02binary", "This looks like a binary file"),
        ("@misc{k, title = {Caf\u00e9}}".encode("latin-1"), "The file is not UTF-8 (byte 0xe9"),
        (b"x" * 101, "The file is 101 bytes; the limit is 100 bytes (BIBTEX_MAX_BYTES)"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(BibtexInputError) as error:
        read_bibtex_bytes(data, max_bytes=100)

    assert error.value.message.startswith(message)
    assert isinstance(error.value, BibtexTooLargeError) == message.startswith("The file is 101")


def test_text_without_any_entry_is_refused() -> None:
    with pytest.raises(BibtexInputError, match="No BibTeX entries found"):
        parse_bibtex("just some notes, no entries\n")


def test_a_utf8_byte_order_mark_is_not_part_of_the_text() -> None:
    text = read_bibtex_bytes("\ufeff@misc{k, title = {T}}".encode(), max_bytes=1000)

    assert parse_bibtex(text).entries[0].key == "k"


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        ('Sch{\\"o}lkopf', "Schölkopf"),
        ("\\'{\\i}", "í"),
        ("\\c{c}\\v s\\k{a}\\H{o}\\r{a}", "çšąőå"),
        ("{\\ss}\\o\\aa\\l{}", "ßøåł"),
        ("50\\% \\& \\#1 \\_ \\$", "50% & #1 _ $"),
        ("a--b---c ``q''", "a\u2013b\u2014c \u201cq\u201d"),
        ("\\emph{big} {\\em data}", "big data"),
        ("$\\mathcal{O}(n)$ stays", "$\\mathcal{O}(n)$ stays"),
        ("a~b", "a b"),
        ("\\url{http://x.org/a_b}", "http://x.org/a_b"),
        ("\\textbackslash{} \\{ \\}", "\\ { }"),
    ],
)
def test_latex_decoding(latex: str, text: str) -> None:
    assert latex_to_text(latex) == text


def test_the_encoder_is_the_decoders_inverse_on_tricky_text() -> None:
    text = "{braces} $x_1^2$ 50% & # _ ~ ^ \\ -- `` '' Ünïcödé $5"

    assert latex_to_text(text_to_latex(text)) == text
