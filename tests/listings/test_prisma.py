"""The base's PRISMA flow adds up over a base fed by real runs: an arXiv search harvest and an
OAI-PMH harvest against the local arXiv stand-in (the real client over HTTP), a BibTeX upload
with a duplicate and an unreadable entry, a BibTeX file imported from the command line, a
paper entered by hand, curators' decisions and a deletion."""

import io
import json
import re

import pytest
from django.core.cache import cache
from django.core.management import call_command

from apps.ingestion.bibtex.services import bibtex_import_start
from apps.ingestion.models import HarvestSource, IngestRun
from apps.ingestion.services import harvest_source_run, ingest_run_start
from apps.ingestion.specs import ArxivQuerySpec
from apps.listings.prisma import prisma_flow
from apps.listings.services import listing_freeze
from apps.papers.models import Paper
from apps.papers.services import (
    paper_create,
    paper_delete,
    paper_exclude,
    paper_include,
    placement_place,
)
from tests.factories import HarvestSourceFactory, PhaseFactory
from tests.ingestion.standin import Standin, StandinPaper

pytestmark = pytest.mark.django_db

UPLOAD = b"""
@article{dup, title={Testing large language models, study 1}, author={Lovelace, Ada},
  year={2024}, eprint={2401.00001}, archivePrefix={arXiv}}
@inproceedings{fresh, title={Mutation testing for prompts}, author={Hopper, Grace},
  year={2023}, booktitle={ICSE}}
@article{broken, author={Nobody}, year={2022}}
"""
COMMAND_FILE = """
@misc{cli, title={Fuzzing LLM agents from the command line}, author={Turing, Alan}, year={2025}}
"""


def harvest(capture, **start) -> IngestRun:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        run = ingest_run_start(**start)
    run.refresh_from_db()
    assert run.status == IngestRun.Status.SUCCEEDED, run.message
    return run


@pytest.fixture
def fed_base(
    arxiv_settings, standin: Standin, django_capture_on_commit_callbacks, curator, tmp_path
):  # type: ignore[no-untyped-def]
    standin.papers = [
        StandinPaper(f"2401.{i:05d}", f"Testing large language models, study {i}")
        for i in range(1, 7)
    ]
    query = ArxivQuerySpec(query="cat:cs.SE", max=100, page_size=4)
    harvest(django_capture_on_commit_callbacks, spec=query)
    # The same search the next day: every record is already in the base.
    harvest(django_capture_on_commit_callbacks, spec=query)
    # An OAI-PMH harvest of the set: two new papers, the six others merged.
    standin.papers += [StandinPaper(f"2402.{i:05d}", f"Evaluating code LLMs {i}") for i in (1, 2)]
    source = HarvestSourceFactory(kind=HarvestSource.Kind.OAI_SET, oai_set="cs", query="")
    with django_capture_on_commit_callbacks(execute=True):
        oai = harvest_source_run(source=source)
    oai.refresh_from_db()
    assert (oai.status, oai.created, oai.unchanged + oai.updated) == ("succeeded", 2, 6)

    _upload, report = bibtex_import_start(data=UPLOAD, filename="review.bib", actor=curator)
    assert report is not None
    assert report.summary() == "created=1 updated=1 unchanged=0 failed=1"
    path = tmp_path / "cli.bib"
    path.write_text(COMMAND_FILE)
    call_command("import_bibtex", str(path), stdout=io.StringIO())
    manual, created = paper_create(data={"title": "A paper entered by hand"}, actor=curator)
    assert created

    phase = PhaseFactory(slug="testing", name="Testing")
    papers = {p.title: p for p in Paper.objects.all()}
    included = [papers[f"Testing large language models, study {i}"] for i in (1, 2, 3)]
    included.append(papers["Mutation testing for prompts"])
    paper_include(papers=included, actor=curator)
    for paper in included[:2]:
        placement_place(paper=paper, target=phase, actor=curator)
    paper_exclude(papers=[papers["Evaluating code LLMs 1"]], reason="Not about LLMs", actor=curator)
    paper_exclude(
        papers=[papers["Evaluating code LLMs 2"]], reason="not  about LLMs", actor=curator
    )
    paper_exclude(papers=[manual], reason="Duplicate of a published version", actor=curator)
    paper_delete(paper=papers["Testing large language models, study 6"], actor=curator)
    return {"phase": phase}


def check_adds_up(flow: dict) -> None:
    removed = flow["removed_before_screening"]
    assert (
        flow["identified"]["total"] - removed["duplicates"] - removed["unreadable"]
        == (flow["screened"])
    )
    assert (
        flow["screened"] - flow["deleted"] - flow["excluded"]["total"] - flow["inbox"]
        == flow["included"]
    )
    assert flow["unaccounted"] == 0


def test_the_figures_add_up_over_a_base_fed_by_real_runs(fed_base) -> None:
    flow = prisma_flow()

    sources = {s["key"]: s["records"] for s in flow["identified"]["sources"]}
    assert sources == {
        "arxiv_query": 12,  # two searches of six records
        "oai_set": 8,
        "bibtex": 3,  # the upload's three entries
        "bibtex_command": 1,  # the file imported from the command line (no run)
        "manual": 1,
    }
    assert [s["label"] for s in flow["identified"]["sources"]][-2:] == [
        "BibTeX imports from the command line",
        "Entered by hand",
    ]
    assert flow["identified"]["total"] == 25
    assert flow["removed_before_screening"] == {
        "duplicates": 6 + 6 + 1,
        "unreadable": 1,
        "total": 14,
    }
    assert flow["screened"] == 11  # 8 arXiv papers, 1 uploaded, 1 from the command line, 1 by hand
    assert (flow["deleted"], flow["excluded"]["total"], flow["inbox"], flow["included"]) == (
        1,
        3,
        3,
        4,
    )
    assert flow["excluded"]["reasons"] == [
        {"reason": "Not about LLMs", "papers": 2},
        {"reason": "Duplicate of a published version", "papers": 1},
    ]
    check_adds_up(flow)
    # The form: identified - removed before screening (duplicates and unreadable):
    assert (
        flow["identified"]["total"] - flow["removed_before_screening"]["total"] == flow["screened"]
    )


def test_the_page_and_the_api_show_the_same_figures(fed_base, client) -> None:
    cache.clear()
    flow = prisma_flow()

    page = client.get("/prisma/")
    api = client.get("/api/v1/prisma/")

    assert page.status_code == api.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert "<script" not in html.split("<main", 1)[1]
    figures = dict(re.findall(r'data-figure="(\w+)">([^<]+)<', html))
    assert figures["identified"] == str(flow["identified"]["total"])
    assert figures["screened"] == str(flow["screened"])
    assert figures["included"] == str(flow["included"])
    assert "Not about LLMs" in html
    body = json.loads(api.content)
    body.pop("as_of"), flow.pop("as_of")
    assert body == flow


def test_a_phase_flow_starts_at_its_papers_and_says_what_is_not_recorded(fed_base, client) -> None:
    flow = prisma_flow(phase=fed_base["phase"])

    assert flow["screened"] == flow["included"] == 2
    assert flow["removed_before_screening"]["duplicates"] is None
    assert flow["deleted"] is None
    assert "not recorded" in client.get("/prisma/?phase=testing").content.decode()
    assert client.get("/prisma/?phase=nope").status_code == 404
    assert client.get("/api/v1/prisma/?phase=nope").status_code == 404


def test_a_listing_keeps_the_figures_of_its_freeze(fed_base, curator, client) -> None:
    listing = listing_freeze(title="Everything", query="", actor=curator)
    paper_exclude(papers=list(Paper.objects.included()[:1]), reason="Later", actor=curator)

    assert listing.prisma["included"] == 4
    assert listing.prisma["listing"] == {"papers": 4}
    check_adds_up(listing.prisma)
    assert prisma_flow()["included"] == 3
    page = client.get(f"/listings/{listing.slug}/").content.decode()
    assert 'data-figure="listing">4<' in page
    assert 'data-figure="included">4<' in page
