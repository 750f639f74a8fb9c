"""load_survey: exact counts against the shipped YAML and TSV, idempotence, curator edits."""

import csv
import io
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db.models import Prefetch, Q

from apps.core.services import curated_save
from apps.papers.models import Authorship, Paper, Placement
from apps.papers.services import paper_authors_replace, paper_exclude, paper_update
from apps.papers.services.seed import SEED_COLUMNS, SEED_PAPERS_PATH
from apps.papers.services.upsert import author_key
from apps.taxonomy.models import Challenge, Phase, Provenance, ResearchDirection, StatusTopic
from apps.taxonomy.services import SURVEY_TAXONOMY_PATH

pytestmark = pytest.mark.django_db

TAXONOMY = yaml.safe_load(SURVEY_TAXONOMY_PATH.read_text(encoding="utf-8"))
with SEED_PAPERS_PATH.open(encoding="utf-8", newline="") as handle:
    SEED_ROWS = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def load(*args: str) -> str:
    out = io.StringIO()
    call_command("load_survey", *args, stdout=out)
    return out.getvalue()


def test_shipped_copy_matches_the_shared_data_when_present() -> None:
    shared = Path(__file__).resolve().parents[3] / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("no ../shared beside this checkout")
    assert (shared / "survey-taxonomy.yaml").read_bytes() == SURVEY_TAXONOMY_PATH.read_bytes()
    assert (shared / "seed-papers.tsv").read_bytes() == SEED_PAPERS_PATH.read_bytes()


def test_counts_match_the_yaml_and_tsv_exactly(survey) -> None:  # type: ignore[no-untyped-def]
    phases = TAXONOMY["phases"]
    assert Phase.objects.count() == 6 == len(phases)
    for data in phases:
        phase = Phase.objects.get(slug=data["slug"])
        assert phase.order == data["order"]
        assert phase.keywords == data["keywords"]
        assert sorted(phase.challenges.values_list("slug", flat=True)) == sorted(
            c["slug"] for c in data["challenges"]
        )
        assert sorted(phase.directions.values_list("slug", flat=True)) == sorted(
            d["slug"] for d in data["directions"]
        )
        assert list(phase.status_topics.values_list("name", flat=True)) == [
            t["name"] for t in data["status_topics"]
        ]
        for item in data["challenges"]:
            assert Challenge.objects.get(slug=item["slug"]).provenance == item["provenance"]
        for item in data["directions"]:
            direction = ResearchDirection.objects.get(slug=item["slug"])
            assert direction.provenance == item["provenance"]
            assert sorted(direction.challenges.values_list("slug", flat=True)) == sorted(
                item["addresses"]
            )
    assert StatusTopic.objects.filter(provenance=Provenance.SURVEY).count() == sum(
        len(p["status_topics"]) for p in phases
    )

    assert Paper.objects.count() == len(SEED_ROWS) == 422
    assert Paper.objects.filter(status=Paper.Status.INCLUDED).count() == 422
    papers = {
        p.arxiv_id: p
        for p in Paper.objects.prefetch_related(
            Prefetch("authorships", Authorship.objects.select_related("author")),
            "categories",
            Prefetch("placements", Placement.objects.for_display()),
        )
    }
    for row in SEED_ROWS:
        paper = papers[row["arxiv_id"]]
        assert paper.title == row["title"]
        assert paper.year == int(row["year"])
        assert paper.author_names == row["authors"]
        # One Author row per folded name: "Dániel Simig" and "Daniel Simig" are one person.
        assert [a.author.name_key for a in paper.authorships.all()] == [
            author_key(name) for name in row["authors"].split("; ") if name
        ]
        assert paper.published_at == (
            datetime.combine(date.fromisoformat(row["submitted"]), time(), tzinfo=UTC)
            if row["submitted"]
            else None
        )
        assert paper.primary_category == (row["categories"].split() or [""])[0]
        assert sorted(c.code for c in paper.categories.all()) == sorted(row["categories"].split())
        assert (paper.doi or "", paper.venue, paper.code_url) == (
            row["doi"].lower(),
            row["venue"],
            row["code"],
        )
        assert paper.kind == row["kind"]
        assert paper.curator_note == row["evidence"]
        placements = {
            (p.target_kind, p.target.slug, p.origin, p.review_state, p.evidence)
            for p in paper.placements.all()
        }
        expected = {
            (kind, slug, "curator", "accepted", row["evidence"])
            for kind, column in (
                ("phase", "phase"),
                ("challenge", "challenges"),
                ("direction", "directions"),
            )
            for slug in row[column].split()
        }
        assert placements == expected
        incomplete = row["confidence"] == "low" or not all(
            row[c] for c in ("authors", "submitted", "categories")
        )
        assert paper.record_incomplete == incomplete, row["arxiv_id"]


def test_done_when_full_authors_placements_and_the_survey_itself(survey, client) -> None:  # type: ignore[no-untyped-def]
    confident = [row for row in SEED_ROWS if row["confidence"] in ("high", "medium")]
    stored = dict(Paper.objects.values_list("arxiv_id", "author_names"))
    assert all(row["authors"] and stored[row["arxiv_id"]] == row["authors"] for row in confident)
    placed = (
        Paper.objects.filter(placements__review_state="accepted")
        .filter(Q(placements__challenge__isnull=False) | Q(placements__direction__isnull=False))
        .distinct()
        .count()
    )
    assert placed >= 400

    survey_paper = Paper.objects.get(arxiv_id="2506.23762")
    five = ["Hongzhou Rao", "Yanjie Zhao", "Xinyi Hou", "Shenao Wang", "Haoyu Wang"]
    page = client.get(f"/papers/{survey_paper.pk}/").content.decode()
    assert all(name in page for name in five)
    response = client.get("/papers/bibtex/?arxiv_id=2506.23762")
    bibtex = b"".join(response.streaming_content).decode()
    assert "author = {" + " and ".join(five) + "}" in bibtex


def test_second_run_changes_nothing(survey) -> None:  # type: ignore[no-untyped-def]
    history_before = sum(
        model.history.count()
        for model in (Phase, Challenge, ResearchDirection, StatusTopic, Paper, Placement)
    )

    output = load()

    assert "phases: created=0 updated=0 unchanged=6" in output
    assert "papers: created=0 updated=0 unchanged=422 failed=0" in output
    assert "placements: created=0" in output
    assert "marked incomplete: 0" in output
    history_after = sum(
        model.history.count()
        for model in (Phase, Challenge, ResearchDirection, StatusTopic, Paper, Placement)
    )
    assert history_after == history_before


def test_a_curator_edit_is_kept_and_new_yaml_facts_are_added(survey, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    challenge = Challenge.objects.get(slug="requirement-accuracy")
    challenge.summary = "Curator's wording."
    curated_save(instance=challenge, changed_fields=["summary"])
    changed = yaml.safe_load(SURVEY_TAXONOMY_PATH.read_text(encoding="utf-8"))
    first = changed["phases"][0]
    first["challenges"][0]["summary"] = "New survey wording."
    first["challenges"][0]["name"] = "Requirement accuracy and precision"
    first["challenges"].append(
        {"slug": "new-challenge", "name": "A new challenge", "provenance": "curated"}
    )
    taxonomy = tmp_path / "taxonomy.yaml"
    taxonomy.write_text(yaml.safe_dump(changed), encoding="utf-8")

    output = load("--taxonomy", str(taxonomy))

    challenge.refresh_from_db()
    assert challenge.summary == "Curator's wording."
    assert challenge.name == "Requirement accuracy and precision"
    assert Challenge.objects.filter(slug="new-challenge", phase__slug=first["slug"]).exists()
    assert "challenges: created=1 updated=1" in output


def test_an_excluded_seed_paper_stays_excluded_and_keeps_its_placement_decision(survey) -> None:  # type: ignore[no-untyped-def]
    paper = Paper.objects.get(arxiv_id="2310.13976")
    paper_exclude(papers=[paper], reason="off topic")
    Placement.objects.filter(paper=paper).update(review_state=Placement.ReviewState.REJECTED)

    load()

    paper.refresh_from_db()
    assert paper.status == Paper.Status.EXCLUDED
    assert set(paper.placements.values_list("review_state", flat=True)) == {
        Placement.ReviewState.REJECTED
    }


def test_a_malformed_taxonomy_file_is_a_clear_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "phases:\n  - slug: x\n    order: 1\n    name: X\n    directions:\n"
        "      - {slug: d, name: D, addresses: [missing]}\n",
        encoding="utf-8",
    )

    with pytest.raises(CommandError, match="addresses unknown challenges"):
        load("--taxonomy", str(broken))
    assert Phase.objects.count() == 0


def test_a_seed_row_with_an_unknown_phase_is_reported_and_the_rest_land(tmp_path: Path) -> None:
    papers = tmp_path / "papers.tsv"
    papers.write_text(
        "arxiv_id\ttitle\tfirst_author\tyear\tphase\n"
        "2401.00001\tGood\tAnn Ng\t2024\tdataset-construction\n"
        "2401.00002\tBad\tBo Li\t2024\tno-such-phase\n",
        encoding="utf-8",
    )
    err = io.StringIO()

    call_command("load_survey", "--papers", str(papers), stdout=io.StringIO(), stderr=err)

    assert list(Paper.objects.values_list("arxiv_id", flat=True)) == ["2401.00001"]
    assert "line 3" in err.getvalue()
    assert "no-such-phase" in err.getvalue()


SEED_V1 = Path(__file__).resolve().parent / "seed-papers-v1.tsv"


def test_a_database_seeded_with_version_1_is_upgraded_without_touching_curator_edits() -> None:
    load("--papers", str(SEED_V1))
    assert Paper.objects.count() == 136
    assert Paper.objects.get(arxiv_id="2506.23762").author_names == "Hongzhou Rao"
    edited = Paper.objects.get(arxiv_id="2308.10620")
    paper_update(paper=edited, data={"title": "A curator's title"}, actor=None)
    locked = Paper.objects.get(arxiv_id="2308.11396")
    paper_authors_replace(paper=locked, names=["Zibin Zheng", "A. Curator"], actor=None)
    renamed = Paper.objects.get(arxiv_id="2212.10560")  # v2 follows arXiv's current title
    assert renamed.title.startswith("Self-Instruct: Aligning Language Model with")

    output = load()

    assert "papers: created=286 updated=136 unchanged=0 failed=0" in output
    edited.refresh_from_db()
    assert edited.title == "A curator's title"
    assert edited.author_names.startswith("Xinyi Hou; Yanjie Zhao; Yue Liu;")  # not locked
    assert (edited.doi, edited.venue, edited.kind) == ("10.1145/3695988", "TOSEM 2024", "survey")
    assert edited.code_url == "https://github.com/xinyi-hou/LLM4SE_SLR"
    assert edited.published_at == datetime(2023, 8, 21, tzinfo=UTC)
    assert list(edited.categories.values_list("code", flat=True)) == ["cs.SE"]
    locked.refresh_from_db()
    assert locked.author_names == "Zibin Zheng; A. Curator"
    assert [a.author.name for a in locked.authorships.order_by("position")] == [
        "Zibin Zheng",
        "A. Curator",
    ]
    renamed.refresh_from_db()
    assert renamed.title.startswith("Self-Instruct: Aligning Language Models with")
    survey_paper = Paper.objects.get(arxiv_id="2506.23762")
    assert survey_paper.author_names == (
        "Hongzhou Rao; Yanjie Zhao; Xinyi Hou; Shenao Wang; Haoyu Wang"
    )
    before, after = survey_paper.history.order_by("history_id")[:2]
    assert (before.author_names, before.history_type) == ("Hongzhou Rao", "+")
    assert (after.author_names, after.history_type) == (survey_paper.author_names, "~")
    # The survey's own phase placements from version 1 stay; version 2 adds the curators'.
    moved = Paper.objects.get(arxiv_id="2310.13976")
    assert set(moved.placements.values_list("origin", "challenge__slug")) == {
        ("survey", None),
        ("curator", "requirement-accuracy"),
    }

    again = load()

    assert "papers: created=0 updated=0 unchanged=422 failed=0" in again
    assert "placements: created=0" in again
    assert "marked incomplete: 0" in again


def test_bad_seed_rows_are_reported_and_skipped_and_incomplete_rows_marked(tmp_path: Path) -> None:
    header = "\t".join(SEED_COLUMNS)

    def row(arxiv_id: str, **cells: str) -> str:
        values = {
            "arxiv_id": arxiv_id,
            "title": f"Paper {arxiv_id}",
            "authors": "Ann Ng; Bo Li",
            "submitted": "2024-01-02",
            "year": "2024",
            "categories": "cs.SE cs.AI",
            "kind": "technique",
            "evidence": "A note.",
            "confidence": "high",
            **cells,
        }
        return "\t".join(values.get(column, "") for column in SEED_COLUMNS)

    papers = tmp_path / "papers.tsv"
    papers.write_text(
        "\n".join(
            [
                header,
                row("2401.00001", challenges="requirement-accuracy"),
                row("2401.00002", kind="novel"),
                row("2401.00003", submitted="2024-13-01"),
                "2401.00004\tshort row",
                row("2401.00005", challenges="no-such-challenge"),
                row("not-an-id"),
                row("2401.00007", authors="", confidence="low"),
                row("2401.00008", submitted="", categories=""),
                row("2401.00009", year="2023"),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    err = io.StringIO()

    call_command("load_survey", "--papers", str(papers), stdout=io.StringIO(), stderr=err)

    assert sorted(Paper.objects.values_list("arxiv_id", flat=True)) == [
        "2401.00001",
        "2401.00007",
        "2401.00008",
    ]
    report = err.getvalue()
    for line, reason in [
        (3, "unknown kind 'novel'"),
        (4, "not YYYY-MM-DD"),
        (5, "2 columns, not 16"),
        (6, "unknown challenge 'no-such-challenge'"),
        (7, "malformed arXiv id"),
        (10, "disagrees with the submitted date"),
    ]:
        failure = next(x for x in report.splitlines() if f"line {line} " in x)
        assert reason in failure
    incomplete = dict(Paper.objects.values_list("arxiv_id", "record_incomplete"))
    assert incomplete == {"2401.00001": False, "2401.00007": True, "2401.00008": True}
    good = Paper.objects.get(arxiv_id="2401.00001")
    assert good.placements.get().challenge.slug == "requirement-accuracy"


def test_curators_find_incomplete_records_with_the_admin_filter(survey, curator_client) -> None:  # type: ignore[no-untyped-def]
    changelist = curator_client.get("/admin/papers/paper/")
    assert "By record incomplete" in changelist.content.decode()

    response = curator_client.get("/admin/papers/paper/?record_incomplete__exact=1")

    incomplete = Paper.objects.filter(record_incomplete=True)
    assert response.context["cl"].result_count == incomplete.count() > 0
    assert "2306.03324" in set(incomplete.values_list("arxiv_id", flat=True))  # the low row
