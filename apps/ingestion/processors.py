"""Which service carries out each kind of IngestRun.

A processor takes the claimed run, does its work page by page (recording each page with
`ingest_run_record`) and ends it with `ingest_run_finish`. It must be safe to call again on
a run that was interrupted: it continues from `run.cursor`.
"""

from collections.abc import Callable

from apps.ingestion.bibtex.services import bibtex_import_process
from apps.ingestion.models import IngestRun

Processor = Callable[[IngestRun], None]

PROCESSORS: dict[IngestRun.Kind, Processor] = {
    IngestRun.Kind.BIBTEX: bibtex_import_process,
}
