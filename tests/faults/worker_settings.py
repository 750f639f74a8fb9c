"""Settings for the workers of the fault tests: those of test_worker.py (short visibility
timeout, fast restore of unacked messages), with Celery retries spread over about five
seconds, so a two-second outage falls well inside them."""

from tests.ingestion.worker_settings import *  # noqa: F403

INGEST_RETRY_BACKOFF = 1
INGEST_RETRY_BACKOFF_MAX = 2
