"""Celery tasks: thin, taking ids, calling services."""

import logging

from celery import shared_task

from apps.ingestion.models import IngestRun
from apps.ingestion.processors import PROCESSORS
from apps.ingestion.services import ingest_run_claim, ingest_run_finish

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def ingest_run_execute(run_id: int) -> None:
    """Run (or continue) one IngestRun with the processor for its kind."""
    run = ingest_run_claim(run_id=run_id)
    if run is None:
        logger.info("ingest run %s missing or finished; skipping", run_id)
        return
    processor = PROCESSORS.get(IngestRun.Kind(run.kind))
    if processor is None:
        ingest_run_finish(run=run, error=f"no processor for runs of kind {run.kind!r}")
        return
    processor(run)
