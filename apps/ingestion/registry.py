"""Every run kind, in one place: `kind` (IngestRun.kind) → its RunKind (which names its spec).

To add a kind: a spec (apps/ingestion/specs.py style), a RunKind subclass, one line here,
an IngestRun.Kind choice (with its migration). See "Adding a run kind" in docs/ingestion.md.
"""

from apps.ingestion.arxiv.runs import (
    ArxivIdsKind,
    ArxivQueryKind,
    ArxivRefreshKind,
    OaiSetKind,
    SavedResponseKind,
)
from apps.ingestion.bibtex.services import BibtexKind
from apps.ingestion.kinds import RunKind
from apps.ingestion.openalex.runs import OpenAlexKind

KINDS: dict[str, RunKind] = {
    kind.spec.kind: kind
    for kind in (
        ArxivIdsKind(),
        ArxivRefreshKind(),
        ArxivQueryKind(),
        OaiSetKind(),
        SavedResponseKind(),
        BibtexKind(),
        OpenAlexKind(),
    )
}
