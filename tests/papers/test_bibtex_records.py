"""BibTeX that reference managers and styles take as meant: capitals protected in titles, a
DOI from an imported entry kept (arXiv's too), and a paper with only a link linking to it."""

import bibtexparser
import pytest
from django.core.cache import cache
from django.test import Client

from apps.core.bibliography.fields import display_text
from apps.ingestion.bibtex.parser import parse_bibtex
from apps.ingestion.bibtex.services import bibtex_import
from apps.papers.bibtex import bibtex_entry
from apps.papers.models import Paper
from apps.papers.relations import attach_relations
from tests.factories import PaperFactory

pytestmark = pytest.mark.django_db

TITLE = "Are LLMs Good at GPT-4 Tasks? ChatGPT versus CodeBERT on the $\\tau$Test Suite"


def entry_of(paper: Paper) -> dict[str, str]:
    """The written entry as bibtexparser reads it (fields as written, braces kept)."""
    library = bibtexparser.parse_string(
        bibtex_entry(attach_relations(Paper.objects.filter(pk=paper.pk))[0], "k")
    )
    assert not library.failed_blocks
    (entry,) = library.entries
    return {field.key: field.value for field in entry.fields}


def test_capitals_and_acronyms_in_titles_are_protected_and_round_trip() -> None:
    paper = PaperFactory(title=TITLE, authors=["Ann Ng"])

    fields = entry_of(paper)

    assert fields["title"] == (
        "Are {LLMs} Good at {GPT}-4 Tasks? {ChatGPT} versus {CodeBERT} on the $\\tau$Test Suite"
    )
    assert display_text(fields["title"]) == display_text(TITLE)  # braces are invisible
    (parsed,) = parse_bibtex(bibtex_entry(attach_relations([paper])[0], "k")).entries  # and back
    assert parsed.record is not None
    assert parsed.record.title == paper.title
    assert "title" not in parsed.record.bibtex_fields  # nothing to keep beside the column


def test_an_imported_doi_is_kept_even_arxivs_and_a_venues_doi_replaces_arxivs(
    client: Client,
) -> None:
    report = bibtex_import(
        text="""@article{hu2021lora,
  title = {LoRA: Low-Rank Adaptation of Large Language Models},
  author = {Hu, Edward J. and Shen, Yelong},
  journal = {arXiv preprint arXiv:2106.09685},
  year = {2021},
  doi = {10.48550/arXiv.2106.09685}
}"""
    )
    assert report.counts["created"] == 1

    paper = Paper.objects.get(arxiv_id="2106.09685")
    assert paper.doi == "10.48550/arxiv.2106.09685"
    fields = entry_of(paper)
    assert fields["doi"] == "10.48550/arXiv.2106.09685"  # as the user wrote it
    Paper.objects.filter(pk=paper.pk).update(
        status=Paper.Status.INCLUDED, included_at=paper.created_at
    )
    cache.clear()
    page = client.get(f"/papers/{paper.pk}/").content.decode()
    assert 'href="https://doi.org/10.48550/arxiv.2106.09685"' in page
    assert '<meta name="citation_doi" content="10.48550/arxiv.2106.09685">' in page

    bibtex_import(
        text="""@inproceedings{hu2022lora,
  title = {LoRA: Low-Rank Adaptation of Large Language Models},
  author = {Hu, Edward J. and Shen, Yelong},
  booktitle = {ICLR},
  year = {2021},
  eprint = {2106.09685},
  doi = {10.5555/iclr.2022.lora}
}"""
    )
    paper.refresh_from_db()
    assert paper.doi == "10.5555/iclr.2022.lora"  # the venue's DOI is the better one


def test_a_paper_with_only_a_link_links_to_it(client: Client) -> None:
    imported = PaperFactory(
        arxiv_id=None, doi=None, bibtex_fields={"url": "https://example.org/paper.html"}
    )
    open_access = PaperFactory(arxiv_id=None, doi=None, oa_url="https://example.org/copy.pdf")
    bare = PaperFactory(arxiv_id=None, doi=None)

    assert entry_of(imported)["url"] == "https://example.org/paper.html"
    assert entry_of(open_access)["url"] == "https://example.org/copy.pdf"
    assert "url" not in entry_of(bare)  # no link invented
    cache.clear()
    page = client.get(f"/papers/{imported.pk}/").content.decode()
    assert 'href="https://example.org/paper.html"' in page
