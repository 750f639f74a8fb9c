"""Quality of the suggestion service: top-1 phase accuracy, leave-one-out over the survey's
seed papers, next to a majority-class guess and to each signal alone.

    .venv/bin/python bench/ingest_suggestions_loo.py

Loads the survey into a throwaway SQLite database (migrate + load_survey), then for every
seed paper placed in exactly one phase rebuilds the model without that paper and checks that
its best phase is the survey's. The seed carries titles only (no abstracts offline), so this
measures titles against the taxonomy's keywords and text plus the other papers' titles.
"""

import io
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/loo.sqlite3"
        os.environ.setdefault("SECRET_KEY", "bench-only")
        os.environ["DJANGO_SETTINGS_MODULE"] = "sellm.settings"
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        import django

        django.setup()
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
        majority = max(per_phase.values())
        print(f"seed papers with exactly one survey phase: {evaluated.total}")
        print(f"{'majority-class guess':34s} {majority / evaluated.total:6.1%}")
        variants = {
            "keywords only (text weight 0)": {"keyword_weight": KEYWORD_WEIGHT, "text_weight": 0},
            "text only (keyword weight 0)": {"keyword_weight": 0, "text_weight": TEXT_WEIGHT},
            f"both (shipped: {KEYWORD_WEIGHT:g} / {TEXT_WEIGHT:g})": {},
        }
        for name, weights in variants.items():
            result = phase_accuracy_leave_one_out(**weights)
            print(
                f"{name:34s} {result.accuracy:6.1%}  ({result.correct}/{result.total}, "
                f"no suggestion for {result.abstained})"
            )


if __name__ == "__main__":
    main()
