"""sellm: a living knowledge base of software engineering for large language models."""

from sellm.celery import app as celery_app

__all__ = ["celery_app"]
