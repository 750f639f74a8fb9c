"""The query language on its own (no database): what a query means, and what it refuses."""

import pytest

from apps.papers.searchquery import (
    MAX_TERMS,
    Query,
    QuerySyntaxError,
    Term,
    Vocabulary,
    check_size,
    expand,
    fold,
    parse,
    to_fts5,
    to_tsquery_excluded,
    to_tsquery_text,
)

VOCABULARY = Vocabulary.from_pairs(
    [("LLM", "LLMs"), ("LLM", "large language model"), ("RAG", "retrieval-augmented generation")]
)


def test_words_phrases_exclusions_or_fields_and_years() -> None:
    query = parse(
        'test "code review" -survey RAG OR retrieval author:Rao title:LLM year:2021..2024'
    )

    assert query.groups == (
        (Term(("test",)),),
        (Term(("code", "review")),),
        (Term(("rag",)), Term(("retrieval",))),
        (Term(("rao",), "authors"),),
        (Term(("llm",), "title"),),
    )
    assert query.excluded == (Term(("survey",)),)
    assert query.years == (2021, 2024)


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("year:2023 x", (2023, 2023)),
        ("year:..2020 x", (None, 2020)),
        ("x year:2022..", (2022, None)),
    ],
)
def test_years_and_open_ranges(text: str, years: tuple) -> None:
    assert parse(text).years == years


def test_folding_splits_punctuation_and_drops_common_words() -> None:
    query = parse("the GPT-4 of Ramírez Łukasz")

    assert [g[0].words for g in query.groups] == [("gpt", "4"), ("ramirez",), ("lukasz",)]
    assert fold("Schölkopf Straße") == "scholkopf strasse"
    # Phrases keep common words: "state of the art" is not "state art".
    assert parse('"state of the art"').groups[0][0].words == ("state", "of", "the", "art")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"unclosed', "is not closed"),
        ("year:abc", "a year is four digits"),
        ("year:2025..2020 x", "runs backwards"),
        ("year:1200", "not a plausible year"),
        ("author:", "needs a word after the colon"),
        ("-survey", "Nothing to search for"),
        ("the of and", "only common words"),
        ("OR llm", "OR needs a word"),
        ("llm OR", "OR needs a word"),
        ("llm OR -rag", "OR joins words and phrases only"),
        ("-year:2020 x", "cannot be excluded"),
        ("year:2020 year:2021 x", "one year: filter"),
        ("x" * 501, "at most 500 characters"),
    ],
)
def test_a_query_that_cannot_be_understood_says_why(text: str, message: str) -> None:
    with pytest.raises(QuerySyntaxError, match=message):
        parse(text)


def test_unknown_prefixes_are_words() -> None:
    assert parse("section:3").groups == ((Term(("section", "3")),),)


def test_synonyms_expand_in_both_directions_and_join_runs_of_words() -> None:
    short = expand(parse("LLM testing"), VOCABULARY)
    long = expand(parse("large language models testing"), VOCABULARY)

    forms = {t.words for t in short.groups[0]}
    assert forms == {("llm",), ("llms",), ("large", "language", "model")}
    assert {t.words for t in long.groups[0]} == {
        ("large", "language", "models"),
        ("llm",),
        ("llms",),
    }
    assert short.groups[1] == long.groups[1] == (Term(("testing",)),)
    # An exclusion excludes every form; an author name is never expanded.
    assert len(expand(parse("x -RAG"), VOCABULARY).excluded) == 2
    assert expand(parse("author:LLM"), VOCABULARY).groups == ((Term(("llm",), "authors"),),)


def test_compiled_for_postgresql_and_sqlite() -> None:
    query = expand(parse('LLM "test oracle" title:fuzzing -survey'), VOCABULARY)

    assert to_tsquery_text(query) == (
        "(('llm') | ('llms') | ('large' <-> 'language' <-> 'model')) & "
        "(('test' <-> 'oracle')) & (('fuzzing':A))"
    )
    assert to_tsquery_excluded(query) == "(('survey'))"
    assert to_fts5(query) == (
        '(("llm" OR "llms" OR "large language model") AND ("test oracle") AND '
        '(title : "fuzzing")) NOT ("survey")'
    )


def test_sqlite_gets_the_spelling_fts5_folds_itself() -> None:
    # FTS5 folds the accents that decompose (í, ó, ż) itself; the triggers fold ł, ø, ß.
    assert to_fts5(parse("Ramírez Łukasz Żółw")) == '("ramírez") AND ("lukasz") AND ("żólw")'


def test_a_query_too_large_after_expansion_is_refused() -> None:
    query = Query(groups=tuple((Term((f"w{i}",)),) for i in range(MAX_TERMS + 1)))
    with pytest.raises(QuerySyntaxError, match="too many words"):
        check_size(query)
