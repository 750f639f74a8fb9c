"""DOIs as sellm keeps them: the same whatever spelling arrives, and stable when read again
(an exported DOI imported back must name the same paper)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.papers.identifiers import normalize_doi


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("10.1145/3597503.3639187", "10.1145/3597503.3639187"),
        ("https://doi.org/10.1145/ABC.1", "10.1145/abc.1"),
        ("doi: 10.1000/xyz.", "10.1000/xyz"),
        ("10.1000/a 10.1000/b", "10.1000/a"),
        ("10.0000/", None),
        ("10.0000/.", None),
        ("10.12/x", None),
        ("", None),
        (None, None),
    ],
)
def test_dois_are_normalised_or_refused(text: str | None, doi: str | None) -> None:
    assert normalize_doi(text) == doi


@given(
    st.from_regex(r"(doi: ?|https://doi\.org/)?10\.\d{4,5}/[A-Za-z0-9._;,-]{0,12}", fullmatch=True)
)
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_doi(text)
    assert normalize_doi(once) == once
