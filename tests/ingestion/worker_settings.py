"""Settings for the real Celery worker that test_worker.py starts: the test settings with a
short visibility timeout and a fast unacked-restore sweep, so a message of a killed worker
comes back in seconds rather than an hour (task time limits stay below the timeout)."""

from tests.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 15,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
# A page may wait for the politeness lock a killed worker held (ARXIV_TIMEOUT * 5 + 5 s).
CELERY_TASK_SOFT_TIME_LIMIT = 12
CELERY_TASK_TIME_LIMIT = 13
INGEST_RETRY_BACKOFF = 1
INGEST_RETRY_BACKOFF_MAX = 2
