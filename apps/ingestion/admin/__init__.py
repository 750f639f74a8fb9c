"""Ingestion in the admin: harvest sources and runs (harvests.py), BibTeX imports (bibtex.py),
and the papers' "Refresh from arXiv" action (refresh.py)."""

from apps.ingestion.admin import bibtex, harvests, refresh

__all__ = ["bibtex", "harvests", "refresh"]
