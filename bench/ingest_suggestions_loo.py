"""Quality of the suggestion service, leave-one-out over the seed's curated placements:
top-1 and top-3 challenge accuracy, top-1 direction and phase accuracy, next to a
majority-class guess and to each signal alone.

    .venv/bin/python bench/ingest_suggestions_loo.py [--seed PATH] [--taxonomy PATH]

Reads the survey taxonomy (YAML) and the seed papers (seed-papers.tsv, version 2: columns
`phase`, `challenges`, `directions`, `evidence`) into memory — no database — and builds the
same `SuggestionModel` the service uses. For every seed paper placed under a challenge, the
paper's placements and note are left out of the model and its *title alone* is scored (the
seed carries no abstracts; ingested papers also have one, so this is the harder case). A
paper counts as right at top-k when any of its curated challenges is among the k best.
The held-out title still counts in the word statistics (idf); nothing else of it remains.
"""

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Figure, configure_django  # noqa: E402 - after the path for bench

SEED = Path("/work/shared/data/seed-papers.tsv")
TAXONOMY = ROOT / "apps" / "taxonomy" / "data" / "survey-taxonomy.yaml"


def seed_path() -> Path:
    """The version 2 seed: the shared copy, else the project's own once it carries v2."""
    own = ROOT / "apps" / "papers" / "data" / "seed-papers.tsv"
    if own.exists() and "challenges" in own.read_text(encoding="utf-8").split("\n", 1)[0]:
        return own
    return SEED


def load(seed: Path, taxonomy: Path):  # type: ignore[no-untyped-def]
    """(targets, exemplars, rows) in memory, with the taxonomy's slugs as stable numbers."""
    import yaml

    from apps.ingestion.suggestions import Exemplar, Target

    data = yaml.safe_load(taxonomy.read_text(encoding="utf-8"))
    targets, ids = [], {}  # type: ignore[var-annotated]
    for phase in data["phases"]:
        ids["phase", phase["slug"]] = pid = len(ids) + 1
        text = " ".join([phase.get("summary", ""), *(t["name"] for t in phase["status_topics"])])
        targets.append(Target("phase", pid, phase["name"], pid, phase.get("keywords", []), text))
        keywords = {}
        for challenge in phase.get("challenges", []):
            ids["challenge", challenge["slug"]] = cid = len(ids) + 1
            keywords[challenge["slug"]] = challenge.get("keywords", [])
            targets.append(
                Target(
                    "challenge",
                    cid,
                    challenge["name"],
                    pid,
                    keywords[challenge["slug"]],
                    challenge.get("summary", ""),
                )
            )
        for direction in phase.get("directions", []):
            ids["direction", direction["slug"]] = did = len(ids) + 1
            words = [k for slug in direction.get("addresses", []) for k in keywords.get(slug, [])]
            targets.append(
                Target("direction", did, direction["name"], pid, words, direction["summary"])
            )
    rows = []
    with seed.open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle, delimiter="\t"), start=1):
            placed = set()
            if row["phase"]:
                placed.add(("phase", ids["phase", row["phase"]]))
            for kind in ("challenge", "direction"):
                for slug in (row[kind + "s"] or "").split():
                    placed.add((kind, ids[kind, slug]))
            rows.append((number, row["title"], row["evidence"], placed))
    exemplars = [
        Exemplar(number, f"{title} {evidence}", placed)
        for number, title, evidence, placed in rows
        if placed
    ]
    return targets, exemplars, rows


def evaluate(targets, exemplars, rows, **weights: float) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Leave-one-out accuracies (fractions) over the papers with a curated challenge."""
    from apps.ingestion.suggestions import SuggestionModel

    model = SuggestionModel(targets, exemplars, **weights)
    hits: Counter[str] = Counter()
    evaluated = 0
    for number, title, _, placed in rows:
        challenges = {pk for kind, pk in placed if kind == "challenge"}
        if not challenges:
            continue
        evaluated += 1
        suggestion = model.suggest(title, exclude=number)
        ranked = [s.pk for s in suggestion.ranked["challenge"]]
        hits["challenge.top1"] += bool(set(ranked[:1]) & challenges)
        hits["challenge.top3"] += bool(set(ranked[:3]) & challenges)
        directions = {pk for kind, pk in placed if kind == "direction"}
        best_direction = [s.pk for s in suggestion.ranked["direction"][:1]]
        hits["direction.top1"] += bool(set(best_direction) & directions)
        phase = [s.pk for s in suggestion.ranked["phase"][:1]]
        hits["phase.top1"] += bool(set(phase) & {pk for kind, pk in placed if kind == "phase"})
    result = {key: hits[key] / evaluated for key in hits}
    result["evaluated"] = evaluated
    return result


def majority(rows) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """Always guessing the most frequent target(s) of each kind."""
    evaluated = [placed for *_, placed in rows if any(k == "challenge" for k, _ in placed)]
    result = {}
    for kind, k in (("challenge", 1), ("challenge", 3), ("direction", 1), ("phase", 1)):
        frequency = Counter(pk for placed in evaluated for kd, pk in placed if kd == kind)
        guess = {pk for pk, _ in frequency.most_common(k)}
        right = sum(1 for placed in evaluated if guess & {pk for kd, pk in placed if kd == kind})
        result[f"{kind}.top{k}"] = right / len(evaluated)
    return result


LABELS = {
    "challenge.top1": "top-1 challenge accuracy",
    "challenge.top3": "top-3 challenge accuracy",
    "direction.top1": "top-1 direction accuracy",
    "phase.top1": "top-1 phase accuracy",
}


def run(seed: Path | None = None, taxonomy: Path = TAXONOMY) -> list[Figure]:
    """Each accuracy of the shipped model, and of each signal alone, next to the majority."""
    configure_django("sqlite:///:memory:")
    from apps.ingestion import suggestions as s

    seed = seed or seed_path()
    targets, exemplars, rows = load(seed, taxonomy)
    base = majority(rows)
    shipped = evaluate(targets, exemplars, rows)
    variants = {
        "keywords": {"keyword_weight": 1.0, "profile_weight": 0, "neighbour_weight": 0},
        "profile": {"keyword_weight": 0, "profile_weight": 1.0, "neighbour_weight": 0},
        "neighbours": {"keyword_weight": 0, "profile_weight": 0, "neighbour_weight": 1.0},
    }
    n = int(shipped["evaluated"])
    print(f"seed papers with a curated challenge: {n} (titles only, leave-one-out)")
    print(f"{'':28s} {'majority':>9s} {'shipped':>8s}" + "".join(f" {v:>10s}" for v in variants))
    alone = {name: evaluate(targets, exemplars, rows, **w) for name, w in variants.items()}
    figures = []
    weights = (
        f"keywords {s.KEYWORD_WEIGHT:g}, profile {s.PROFILE_WEIGHT:g}, "
        f"neighbours {s.NEIGHBOUR_WEIGHT:g} (k={s.NEIGHBOURS}), phase share {s.PHASE_SHARE:g}"
    )
    for key, label in LABELS.items():
        line = f"{label:28s} {base[key]:9.1%} {shipped[key]:8.1%}"
        line += "".join(f" {alone[v][key]:10.1%}" for v in variants)
        print(line)
        target = "≥ 70%" if key == "challenge.top3" else ""
        figures.append(
            Figure(
                f"suggest.loo.{key}",
                f"{label}, leave-one-out ({n} seed papers, titles only)",
                shipped[key] * 100,
                "%",
                "majority-class guess",
                base[key] * 100,
                target=target,
                met=shipped[key] >= 0.7 if target else None,
                note=weights
                + "; alone: "
                + ", ".join(f"{v} {alone[v][key]:.1%}" for v in variants),
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=Path, default=None)
    parser.add_argument("--taxonomy", type=Path, default=TAXONOMY)
    options = parser.parse_args()
    run(options.seed, options.taxonomy)


if __name__ == "__main__":
    main()
