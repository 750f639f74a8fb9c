"""How much one ingestion request may ask for: one definition for the API, the admin and
`ingest_arxiv` (docs/limits.md)."""

MAX_IDS = 1_000  # arXiv ids in one request
MAX_QUERY_RESULTS = 10_000  # records one query run takes (arXiv serves at most 30,000)
MAX_QUERY_LENGTH = 1_000  # characters of an arXiv search query
