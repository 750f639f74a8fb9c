"""Celery tasks of the papers app: thin, calling one service."""

import logging

from celery import shared_task

from apps.papers.services.related import related_papers_refresh

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def related_papers_refresh_task() -> None:
    """Recompute related papers by content (periodic; idempotent, so a repeat is harmless)."""
    report = related_papers_refresh()
    logger.info("related papers refreshed: %d papers", report.papers)
