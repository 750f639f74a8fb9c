"""Quality of the suggestion service: top-1 phase accuracy, leave-one-out over the survey's
seed papers, next to a majority-class guess and to each signal alone.

    .venv/bin/python bench/ingest_suggestions_loo.py

Loads the survey into a throwaway SQLite database (migrate + load_survey), then for every
seed paper placed in exactly one phase rebuilds the model without that paper and checks that
its best phase is the survey's. The seed carries titles only (no abstracts offline), so this
measures titles against the taxonomy's keywords and text plus the other papers' titles.
"""

import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Figure, configure_django  # noqa: E402 - after the path for bench


def main() -> None:
    run()


def run() -> list[Figure]:
    """Accuracy of each scorer variant next to the majority-class guess."""
    import io

    with tempfile.TemporaryDirectory() as tmp:
        configure_django(f"sqlite:///{tmp}/loo.sqlite3")
        from django.core.management import call_command

        from apps.ingestion.suggestions import (
            KEYWORD_WEIGHT,
            TEXT_WEIGHT,
            phase_accuracy_leave_one_out,
        )
        from apps.papers.models import Placement

        call_command("migrate", verbosity=0)
        call_command("load_survey", stdout=io.StringIO())

        evaluated = phase_accuracy_leave_one_out()
        per_phase = Counter(Placement.objects.accepted().values_list("phase__slug", flat=True))
        majority = max(per_phase.values()) / evaluated.total * 100
        baseline = f"majority class ({evaluated.total} seed papers with one phase)"
        print(f"seed papers with exactly one survey phase: {evaluated.total}")
        print(f"{'majority-class guess':34s} {majority:5.1f}%")
        variants = {
            "keywords": ("keywords only", {"keyword_weight": KEYWORD_WEIGHT, "text_weight": 0}),
            "text": ("text similarity only", {"keyword_weight": 0, "text_weight": TEXT_WEIGHT}),
            "both": (f"keywords + text (shipped weights {KEYWORD_WEIGHT:g} : {TEXT_WEIGHT:g})", {}),
        }
        figures = []
        for key, (name, weights) in variants.items():
            result = phase_accuracy_leave_one_out(**weights)
            print(
                f"{name:34s} {result.accuracy:6.1%}  ({result.correct}/{result.total}, "
                f"no suggestion for {result.abstained})"
            )
            figures.append(
                Figure(
                    f"suggest.loo.{key}",
                    f"top-1 phase accuracy, leave-one-out: {name}",
                    result.accuracy * 100,
                    "%",
                    baseline,
                    majority,
                    note=f"{result.correct}/{result.total}, {result.abstained} abstained",
                )
            )
        return figures


if __name__ == "__main__":
    main()
