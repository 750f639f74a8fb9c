"""One request to arXiv at a time, at least `interval` seconds apart, across every process.

arXiv counts its "one request every three seconds, one connection at a time" across all of a
user's machines, so a per-process sleep (what the `arxiv` package does) is not enough once
two Celery workers harvest. A slot is a lock held for the whole request; when it is released
the holder stamps the earliest time the next request may start, and whoever takes the lock
next waits until then.

Two backends, chosen by `politeness_from_settings()`:

- Redis (production, and wherever the broker is Redis): a `redis-py` lock (token-checked
  release, TTL so a killed holder cannot block the others forever) plus a key with the next
  allowed time, read against Redis's own clock so machines with skewed clocks still agree.
- A lock file (the embedded default: one machine, no Redis): `fcntl.flock` on a file under
  `var/` that also stores the next allowed time. It covers every process on the machine,
  which is all the embedded default runs.

Neither module-level import touches Django, so other processes (tests, benchmarks) can use
them with explicit arguments.
"""

import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from apps.ingestion.arxiv.errors import ArxivUnavailableError

logger = logging.getLogger(__name__)

LOCK_NAME = "sellm:arxiv:politeness"


class Politeness(Protocol):
    """Hands out request slots; `slot()` blocks until this process may send one request."""

    interval: float

    def slot(self) -> contextlib.AbstractContextManager[None]: ...


class RedisPoliteness:
    """Slots shared through Redis (see the module docstring)."""

    def __init__(
        self,
        *,
        url: str,
        interval: float,
        hold: float = 120.0,
        wait_limit: float = 600.0,
        name: str = LOCK_NAME,
        service: str = "arXiv",
        unavailable: type[Exception] = ArxivUnavailableError,
    ) -> None:
        import redis

        self.interval = interval
        self.service = service  # named in errors; other polite clients reuse this class
        self.unavailable = unavailable  # the caller's transient error, so it retries
        self.hold = hold  # longest a holder may keep the lock (a request plus its timeout)
        self.wait_limit = wait_limit  # longest a caller waits for its turn
        self.name = name
        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5)

    def _now(self) -> float:
        seconds, micros = self.client.time()
        return seconds + micros / 1_000_000

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        import redis

        lock = self.client.lock(
            f"{self.name}:lock",
            timeout=self.hold + self.interval,
            sleep=0.05,
            blocking=True,
            blocking_timeout=self.wait_limit,
        )
        try:
            if not lock.acquire():
                raise self.unavailable(
                    f"waited {self.wait_limit:.0f}s for a turn to call {self.service}; "
                    "other workers hold it"
                )
            raw = self.client.get(f"{self.name}:next")
            wait = float(raw) - self._now() if raw is not None else 0.0
        except redis.RedisError as error:
            # Our own lock being unreachable is transient too: retry later, never skip it.
            raise self.unavailable(
                f"the politeness lock (Redis) is unavailable: {error}"
            ) from error
        try:
            if wait > 0:
                time.sleep(min(wait, self.interval))
            yield
        finally:
            # Stamp before releasing, so the next holder always sees this request's end.
            try:
                self.client.set(
                    f"{self.name}:next",
                    repr(self._now() + self.interval),
                    px=max(1, int((self.interval + 1) * 1000)),
                )
                lock.release()
            except redis.RedisError as error:  # expired under a very slow request, or Redis gone
                logger.warning("could not release the %s politeness lock: %s", self.service, error)


class FilePoliteness:
    """Slots shared through a lock file: every process on this machine (see module docstring)."""

    def __init__(self, *, path: Path, interval: float) -> None:
        self.interval = interval
        self.path = Path(path)

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by the kernel if this process dies
            raw = os.pread(fd, 64, 0).strip()
            try:
                wait = float(raw) - time.time() if raw else 0.0
            except ValueError:
                wait = 0.0
            if wait > 0:
                time.sleep(min(wait, self.interval))  # a clock step backwards never stalls us
            try:
                yield
            finally:
                stamp = f"{time.time() + self.interval!r}".encode().ljust(64)
                os.pwrite(fd, stamp, 0)
        finally:
            os.close(fd)  # closing drops the flock


def politeness_from_settings() -> Politeness:
    """The backend the settings ask for: Redis at ARXIV_LOCK_URL, else the lock file."""
    from django.conf import settings

    url = settings.ARXIV_LOCK_URL
    if url:
        # The lock must outlive the longest request (connect, then a body deadline of 4x the
        # timeout); a holder killed mid-request blocks the others only this long.
        return RedisPoliteness(
            url=url, interval=settings.ARXIV_MIN_INTERVAL, hold=settings.ARXIV_TIMEOUT * 5 + 5
        )
    return FilePoliteness(path=settings.ARXIV_LOCK_FILE, interval=settings.ARXIV_MIN_INTERVAL)
