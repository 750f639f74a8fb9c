"""Settings for the workers of the fault tests: those of test_worker.py (short visibility
timeout, fast restore of unacked messages), with Celery retries spread over about ten
seconds (full jitter: each wait is drawn from 0 to its ceiling), so a two-second outage falls
inside them."""

from tests.ingestion.worker_settings import *  # noqa: F403

INGEST_RETRY_BACKOFF = 2
INGEST_RETRY_BACKOFF_MAX = 4
