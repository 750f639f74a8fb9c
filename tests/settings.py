"""Test settings: the real settings module with a throwaway secret and plain static storage.

Everything else (database, broker, cache) still comes from the environment, so the same suite
runs on SQLite and, with DATABASE_URL set, on PostgreSQL.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
# The test client and the live server speak plain HTTP.
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
# The suite searches the HTML list far more often than a reader; the throttle's own tests
# set a low rate (tests/papers/test_search_throttle.py).
os.environ.setdefault("HTML_THROTTLE_SEARCH", "100000/minute")
# Tests read the API right after writing to it; the answer cache has its own tests
# (tests/api/test_api_answer_cache.py), which turn it on.
os.environ.setdefault("API_CACHE_SECONDS", "0")

from sellm.settings import *  # noqa: F403
from sellm.settings import STORAGES

# Templates use {% static %}; the manifest storage would need collectstatic first.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Fast hashing: tests create many users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests do not run collectstatic; look static files up per request instead.
WHITENOISE_AUTOREFRESH = True
# Tasks sent without a broker run inline, so a test sees a run's outcome when the call
# returns; tests of the background thread turn it back on.
TASKS_IN_THREAD = False
