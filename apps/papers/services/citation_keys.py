"""Citation keys stored on papers, so that a paper is cited the same way in every export.

A key computed at export time would shift whenever the set of exported papers changes
(`hou2023large` in one list, `hou2023largea` in another) or a curator edits the title; a
researcher's `\\cite{…}` would then break. So every paper gets its key once and keeps it:
`paper_upsert_many` gives new papers theirs (from their BibTeX file, or generated); this
service backfills papers that have none (created by hand, or before keys were stored).
"""

import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from apps.core.history import history_snapshot
from apps.papers.bibtex import generated_key, keys_taken, unique_key
from apps.papers.models import Paper

logger = logging.getLogger(__name__)

CHUNK = 200


def citation_keys_assign(*, paper_ids: Iterable[int]) -> int:
    """Give each listed paper that has no citation key a generated one, unique across the
    knowledge base (author + year + first title word, a letter suffix when taken).

    Returns how many papers got a key. Safe to call twice (papers with a key keep it) and
    alongside another caller: a key someone else took first is retried with the next suffix.
    """
    ids = sorted(set(paper_ids))
    assigned = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        for attempt in range(3):
            try:
                assigned += _assign_chunk(chunk)
                break
            except IntegrityError:
                logger.info("citation key taken concurrently; retrying (attempt %d)", attempt + 1)
        else:
            raise IntegrityError("could not assign unique citation keys after three attempts")
    return assigned


@transaction.atomic
def _assign_chunk(ids: list[int]) -> int:
    papers = list(
        Paper.objects.select_for_update().filter(pk__in=ids, bibtex_key="").order_by("pk")
    )
    if not papers:
        return 0
    taken = keys_taken({generated_key(paper) for paper in papers})
    for paper in papers:
        paper.bibtex_key = unique_key(generated_key(paper), taken)
        taken.add(paper.bibtex_key)
    Paper.objects.bulk_update(papers, ["bibtex_key"], batch_size=500)
    history_snapshot(Paper, [paper.pk for paper in papers], history_type="~")
    return len(papers)
