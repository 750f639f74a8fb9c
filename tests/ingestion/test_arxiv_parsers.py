"""The Atom and OAI-PMH parsers on documents written the way arXiv writes them."""

from datetime import UTC, datetime

import pytest

from apps.ingestion.arxiv.errors import ArxivApiError, ArxivResponseError
from apps.ingestion.arxiv.parsers import (
    AtomPage,
    OaiPage,
    detect_and_parse,
    parse_atom,
    parse_oai,
    split_author_string,
)
from apps.papers.records import AuthorRecord, VersionRecord
from tests.ingestion.standin import StandinPaper, atom_feed, oai_error, oai_page, raw_record

LATEX_TITLE = r"On $\mathcal{O}(n \log n)$ Schr\"odinger solvers for {LLM} código — Ünïcödé ✓"
LATEX_ABSTRACT = "We prove $E=mc^2$ for\n  Łódź and 東京 \\emph{models}."


def test_atom_entry_becomes_a_complete_record() -> None:
    paper = StandinPaper(
        "2401.01234",
        LATEX_TITLE,
        versions=["2024-01-02T10:00:00Z", "2024-03-04T11:22:33Z"],
        authors=[("Zoë Ångström", "KTH; Uppsala"), ("Li Wei", "")],
        abstract=LATEX_ABSTRACT,
        categories=["cs.SE", "cs.CL"],
        doi="10.1145/1234.5678 10.5555/other",
        journal_ref="ICSE 2025",
        comment="12 pages, 3 figures",
    )

    page = parse_atom(atom_feed([paper], total=1, start=0, per_page=10))

    (record,) = page.records
    assert record.arxiv_id == "2401.01234"
    assert record.arxiv_version == 2
    assert record.arxiv_versions == [
        VersionRecord(1, datetime(2024, 1, 2, 10, 0, tzinfo=UTC)),
        VersionRecord(2, datetime(2024, 3, 4, 11, 22, 33, tzinfo=UTC)),
    ]
    assert record.title == LATEX_TITLE
    assert record.abstract == LATEX_ABSTRACT
    assert record.authors == [AuthorRecord("Zoë Ångström", "KTH; Uppsala"), AuthorRecord("Li Wei")]
    assert (record.published_at, record.revised_at) == (
        datetime(2024, 1, 2, 10, 0, tzinfo=UTC),
        datetime(2024, 3, 4, 11, 22, 33, tzinfo=UTC),
    )
    assert record.primary_category == "cs.SE"
    assert record.categories == ["cs.SE", "cs.CL"]
    assert record.doi == "10.1145/1234.5678"
    assert (record.journal_ref, record.comment) == ("ICSE 2025", "12 pages, 3 figures")
    assert record.label == "arXiv 2401.01234v2"
    assert (page.total, page.per_page) == (1, 10)


@pytest.mark.parametrize(
    ("served", "expected"),
    [
        ("hep-th/9603067", "hep-th/9603067"),
        ("cs/0503050", "cs/0503050"),
        ("0704.0001", "0704.0001"),
    ],
)
def test_old_style_and_four_digit_ids(served: str, expected: str) -> None:
    paper = StandinPaper(served, "Old paper", versions=["1996-03-12T00:00:00Z"] * 3)

    atom = parse_atom(atom_feed([paper], total=1, start=0, per_page=1)).records[0]
    raw = parse_oai(oai_page([raw_record(paper)])).records[0]

    assert (atom.arxiv_id, atom.arxiv_version) == (expected, 3)
    assert (raw.arxiv_id, raw.arxiv_version) == (expected, 3)


def test_an_entry_without_title_is_reported_and_the_others_kept() -> None:
    good = StandinPaper("2401.00001", "Good")
    document = atom_feed([good, StandinPaper("2401.00002", "   ")], total=2, start=0, per_page=2)

    page = parse_atom(document)

    assert [r.arxiv_id for r in page.records] == ["2401.00001"]
    assert [(e.label, e.reason) for e in page.errors] == [
        ("http://arxiv.org/abs/2401.00002v1", "entry has no title")
    ]


def test_empty_feed_is_an_empty_page() -> None:
    page = parse_atom(atom_feed([], total=0, start=0, per_page=10))

    assert (page.records, page.total) == ([], 0)


def test_arxivraw_record_keeps_every_version_and_its_date() -> None:
    paper = StandinPaper(
        "2308.10620",
        LATEX_TITLE,
        versions=["2023-08-21T10:02:03Z", "2023-09-12T08:00:00Z", "2024-04-10T16:30:00Z"],
        authors=[("Xinyi Hou", ""), ("Yanjie Zhao", ""), ("Haoyu Wang", "")],
        abstract=LATEX_ABSTRACT,
        doi="10.1145/3695988",
        license="http://arxiv.org/licenses/nonexclusive-distrib/1.0/",
    )

    (record,) = parse_oai(oai_page([raw_record(paper)])).records

    assert [v.version for v in record.arxiv_versions] == [1, 2, 3]
    assert record.arxiv_versions[0].submitted_at == datetime(2023, 8, 21, 10, 2, 3, tzinfo=UTC)
    assert record.published_at == datetime(2023, 8, 21, 10, 2, 3, tzinfo=UTC)
    assert record.revised_at == datetime(2024, 4, 10, 16, 30, tzinfo=UTC)
    assert record.arxiv_version == 3
    assert [a.name for a in record.authors] == ["Xinyi Hou", "Yanjie Zhao", "Haoyu Wang"]
    assert (record.title, record.abstract) == (LATEX_TITLE, LATEX_ABSTRACT)
    assert record.license == "http://arxiv.org/licenses/nonexclusive-distrib/1.0/"
    assert record.doi == "10.1145/3695988"
    assert record.primary_category == "cs.SE"


def test_author_strings_split_outside_parentheses() -> None:
    authors = split_author_string(
        'A. Smith (MIT, USA), J. M\\"uller and\n  Bo Li (Peking University, and Tsinghua)'
    )

    assert authors == [
        AuthorRecord("A. Smith", "MIT, USA"),
        AuthorRecord('J. M\\"uller'),
        AuthorRecord("Bo Li", "Peking University, and Tsinghua"),
    ]


ARXIV_FORMAT = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-11-24T12:00:00Z</responseDate>
<ListRecords>
<record><header><identifier>oai:arXiv.org:cs/0503050</identifier><datestamp>2007-05-23</datestamp>
</header><metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/">
<id>cs/0503050</id><created>2005-03-21</created><updated>2005-06-02</updated>
<authors><author><keyname>G\\"odel</keyname><forenames>Kurt</forenames><suffix>Jr</suffix>
<affiliation>IAS</affiliation></author><author><keyname>Noether</keyname><forenames>Emmy</forenames>
</author></authors><title>Incompleteness of   programs</title><categories>cs.LO math.LO</categories>
<abstract>  An abstract.  </abstract></arXiv></metadata></record>
<record><header status="deleted"><identifier>oai:arXiv.org:cs/0000001</identifier>
<datestamp>2007-05-23</datestamp></header></record>
<resumptionToken cursor="0" completeListSize="2"></resumptionToken>
</ListRecords></OAI-PMH>"""

OAI_DC = b"""<?xml version="1.0" encoding="UTF-8"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">
<responseDate>2026-11-24T12:00:00Z</responseDate>
<ListRecords><record><header><identifier>oai:arXiv.org:2401.01234</identifier>
<datestamp>2024-02-01</datestamp></header><metadata>
<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:title>Testing LLMs</dc:title><dc:creator>Hou, Xinyi</dc:creator>
<dc:creator>Lo, David</dc:creator>
<dc:subject>Computer Science - Software Engineering</dc:subject>
<dc:description>The abstract.</dc:description><dc:description>Comment: 10 pages</dc:description>
<dc:date>2024-01-02</dc:date><dc:date>2024-02-01</dc:date>
<dc:type>text</dc:type><dc:identifier>http://arxiv.org/abs/2401.01234</dc:identifier>
<dc:identifier>doi:10.1000/XYZ</dc:identifier>
</oai_dc:dc></metadata></record></ListRecords></OAI-PMH>"""


def test_arxiv_metadata_format_and_deleted_records() -> None:
    page = parse_oai(ARXIV_FORMAT)

    (record,) = page.records
    assert record.arxiv_id == "cs/0503050"
    assert record.arxiv_version is None  # this format does not number versions
    assert record.authors == [AuthorRecord('Kurt G\\"odel Jr', "IAS"), AuthorRecord("Emmy Noether")]
    assert record.published_at == datetime(2005, 3, 21, tzinfo=UTC)
    assert record.revised_at == datetime(2005, 6, 2, tzinfo=UTC)
    assert record.categories == ["cs.LO", "math.LO"]
    assert page.deleted == 1
    assert page.resumption_token == ""


def test_oai_dc_format() -> None:
    (record,) = parse_oai(OAI_DC).records

    assert record.arxiv_id == "2401.01234"
    assert [a.name for a in record.authors] == ["Xinyi Hou", "David Lo"]
    assert (record.abstract, record.comment) == ("The abstract.", "10 pages")
    assert record.doi == "10.1000/XYZ"
    assert record.published_at == datetime(2024, 1, 2, tzinfo=UTC)
    assert record.revised_at == datetime(2024, 2, 1, tzinfo=UTC)


def test_oai_errors() -> None:
    empty = parse_oai(oai_error("noRecordsMatch", "nothing"))

    with pytest.raises(ArxivApiError) as caught:
        parse_oai(oai_error("badArgument", "from must be a date"))

    assert empty.records == []
    assert empty.response_date == "2026-11-24T12:00:00Z"
    assert (caught.value.code, caught.value.message) == ("badArgument", "from must be a date")


def test_saved_responses_are_recognised_by_their_root() -> None:
    atom = detect_and_parse(
        atom_feed([StandinPaper("2401.00001", "A")], total=1, start=0, per_page=1)
    )
    oai = detect_and_parse(OAI_DC)

    assert isinstance(atom, AtomPage)
    assert isinstance(oai, OaiPage)
    with pytest.raises(ArxivResponseError, match="not an arXiv Atom feed or OAI-PMH"):
        detect_and_parse(b"<html><body>Hello</body></html>")
    with pytest.raises(ArxivResponseError, match="empty response"):
        detect_and_parse(b"  ")
