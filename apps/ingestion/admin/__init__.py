"""Ingestion in the admin: harvest sources and runs (harvests.py), BibTeX imports (bibtex.py)."""

from apps.ingestion.admin import bibtex, harvests

__all__ = ["bibtex", "harvests"]
