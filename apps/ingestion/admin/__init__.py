"""Ingestion in the admin: harvest sources and runs (harvests.py), BibTeX imports (bibtex.py),
and the papers' "Enrich from OpenAlex" action (openalex.py)."""

from apps.ingestion.admin import bibtex, harvests, openalex

__all__ = ["bibtex", "harvests", "openalex"]
