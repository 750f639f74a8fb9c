"""Which service carries out each kind of IngestRun.

A processor takes the claimed run, does its work page by page (recording each page with
`ingest_run_record`) and ends it with `ingest_run_finish`. It must be safe to call again on
a run that was interrupted: it continues from `run.cursor`. A processor may also do a single
page and enqueue `ingest_run_execute` again for the rest (the arXiv ones do, one task per page).
"""

from collections.abc import Callable

from apps.ingestion.arxiv.runs import arxiv_run_process
from apps.ingestion.bibtex.services import bibtex_import_process
from apps.ingestion.models import IngestRun
from apps.ingestion.openalex.runs import openalex_run_process

Processor = Callable[[IngestRun], None]

PROCESSORS: dict[IngestRun.Kind, Processor] = {
    # arXiv: each call does one page and enqueues the next (see apps/ingestion/arxiv/runs.py)
    IngestRun.Kind.ARXIV_IDS: arxiv_run_process,
    IngestRun.Kind.ARXIV_QUERY: arxiv_run_process,
    IngestRun.Kind.OAI_SET: arxiv_run_process,
    IngestRun.Kind.SAVED_RESPONSE: arxiv_run_process,
    # BibTeX: one chunk of entries per transaction (see apps/ingestion/bibtex/services.py)
    IngestRun.Kind.BIBTEX: bibtex_import_process,
    # OpenAlex: one batch of up to 50 DOIs per task (see apps/ingestion/openalex/runs.py)
    IngestRun.Kind.OPENALEX: openalex_run_process,
}
