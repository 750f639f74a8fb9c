"""Error messages say what is wrong in terms a user can act on, and never echo raw bytes."""

import pytest

from apps.ingestion.arxiv.errors import GarbledResponseError
from apps.ingestion.arxiv.parsers import detect_and_parse, parse_atom
from apps.ingestion.bibtex.parser import BibtexInputError, read_bibtex_bytes

LIMIT = 5 * 1024 * 1024
ENTRY = "@misc{k, title={Über Tests}, author={Doe, Jane}, year={2024}}\n"


def test_a_file_just_over_the_cap_is_reported_in_bytes() -> None:
    with pytest.raises(BibtexInputError) as error:
        read_bibtex_bytes(b"x" * (LIMIT + 121), max_bytes=LIMIT)

    assert error.value.message == (
        "The file is 5,243,001 bytes; the limit is 5,242,880 bytes (BIBTEX_MAX_BYTES). "
        "Split it, or raise the limit."
    )


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_named_not_called_binary(encoding: str) -> None:
    with pytest.raises(BibtexInputError) as error:
        read_bibtex_bytes(ENTRY.encode(encoding), max_bytes=LIMIT)

    assert error.value.message == (
        "The file is not UTF-8 but UTF-16. Save it as UTF-8 and upload it again."
    )


def test_utf8_with_a_few_nul_bytes_is_still_binary_not_utf16() -> None:
    with pytest.raises(BibtexInputError, match="This looks like a binary file"):
        read_bibtex_bytes(ENTRY.encode() + b"\x00\x01\x02\x03", max_bytes=LIMIT)


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + bytes(range(256)) * 4,
        bytes(range(128, 256)) * 8,
    ],
)
def test_a_binary_file_is_called_binary_without_echoing_its_bytes(content: bytes) -> None:
    for parse in (parse_atom, detect_and_parse):
        with pytest.raises(GarbledResponseError) as error:
            parse(content)

        message = str(error.value)
        assert message == (
            f"binary data ({len(content):,} bytes), not XML: neither an Atom feed nor an "
            "OAI-PMH response"
        )


def test_a_text_file_that_is_not_xml_shows_its_start_printable() -> None:
    with pytest.raises(GarbledResponseError) as error:
        parse_atom(b"<html>\n<h1>Bad gateway</h1>\x07")

    assert "the response began '<html> <h1>Bad gateway</h1> '" in str(error.value)
