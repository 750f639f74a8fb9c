"""Carrying out a run inside a management command, with a progress bar."""

from typing import TextIO

from tqdm import tqdm

from apps.ingestion.engine import run_execute
from apps.ingestion.models import IngestRun


def run_with_progress(run: IngestRun, out: TextIO) -> IngestRun:
    """Carry out an opened run here through the engine, with a progress bar on `out`; the
    run comes back finished (a transient arXiv failure fails it, resumable)."""
    with tqdm(total=run.total, unit="rec", file=out, mininterval=0.5, leave=False) as bar:

        def progress(current: IngestRun) -> None:
            bar.total = current.total
            bar.update(current.seen - bar.n)

        run_execute(run.pk, whole_run=True, on_page=progress)
    run.refresh_from_db()
    return run
