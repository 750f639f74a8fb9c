"""The arXiv stand-in fixtures, shared with the ingestion tests."""

from tests.ingestion.conftest import arxiv_client, arxiv_settings, standin

__all__ = ["arxiv_client", "arxiv_settings", "standin"]
