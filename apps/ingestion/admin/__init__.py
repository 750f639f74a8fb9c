"""Ingestion in the admin: harvest sources and runs (harvests.py), BibTeX imports (bibtex.py),
and the papers' "Refresh from arXiv" (refresh.py) and "Enrich from OpenAlex" (openalex.py)
actions."""

from apps.ingestion.admin import bibtex, harvests, openalex, refresh

__all__ = ["bibtex", "harvests", "openalex", "refresh"]
