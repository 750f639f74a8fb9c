"""load_survey: exact counts against the shipped YAML and TSV, idempotence, curator edits."""

import csv
import io
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from apps.core.services import curated_save
from apps.papers.models import Paper, Placement
from apps.papers.services import paper_exclude
from apps.papers.services.seed import SEED_PAPERS_PATH
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

    assert Paper.objects.count() == len(SEED_ROWS) == 136
    assert Paper.objects.filter(status=Paper.Status.INCLUDED).count() == 136
    for row in SEED_ROWS:
        paper = Paper.objects.get(arxiv_id=row["arxiv_id"])
        assert paper.title == row["title"]
        assert paper.year == int(row["year"])
        assert paper.author_names == row["first_author"]
        placements = list(paper.placements.values_list("phase__slug", "origin", "review_state"))
        expected = [(row["phase"], "survey", "accepted")] if row["phase"] else []
        assert placements == expected


def test_second_run_changes_nothing(survey) -> None:  # type: ignore[no-untyped-def]
    history_before = sum(
        model.history.count() for model in (Phase, Challenge, ResearchDirection, StatusTopic, Paper)
    )

    output = load()

    assert "phases: created=0 updated=0 unchanged=6" in output
    assert "papers: created=0 updated=0 unchanged=136 failed=0" in output
    assert "placements: created=0" in output
    history_after = sum(
        model.history.count() for model in (Phase, Challenge, ResearchDirection, StatusTopic, Paper)
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
    assert paper.placements.get().review_state == Placement.ReviewState.REJECTED


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
