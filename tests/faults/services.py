"""Private PostgreSQL and Redis servers that fault tests may stop, kill and restart.

The shared servers on 5432 and 6379 serve everyone else on the machine, so a test that
restarts a service starts its own: a throwaway PostgreSQL cluster (initdb into a temporary
directory, run as the `postgres` user when we are root, since PostgreSQL refuses to run as
root) and a `redis-server` with an append-only file fsynced on every write.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll `condition` until true; returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class PrivatePostgres:
    """A PostgreSQL cluster of our own on a free port (trust authentication, no fsync)."""

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="sellm-faults-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.directory, user="postgres")

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists()

    def _run(self, *args: str) -> None:
        command = [str(PG_BIN / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def init(self) -> "PrivatePostgres":
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        return self

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "log"), "-o", options,
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """Fast shutdown: open sessions are terminated, as in a restart by an operator."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        with psycopg.connect(self.url(database), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def query(self, sql: str, database: str) -> list[tuple]:
        with psycopg.connect(self.url(database), connect_timeout=5) as conn:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


class PrivateRedis:
    """A redis-server of our own. Persistent: an append-only file fsynced on every write, so
    a restart (even after SIGKILL) keeps every message the server acknowledged; otherwise
    nothing is kept, and a restart loses every queued message."""

    def __init__(self, *, persistent: bool = True) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="sellm-faults-redis-"))
        self.port = free_port()
        self.persistent = persistent
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--dir", str(self.directory), "--save", ""),
                *(
                    ("--appendonly", "yes", "--appendfsync", "always")
                    if self.persistent
                    else ("--appendonly", "no")
                ),
            ],
            stdout=(self.directory / "log").open("ab"),
            stderr=subprocess.STDOUT,
        )
        wait_for(self.ping, 10, "the private Redis to answer")

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.5).ping())
        except redis.RedisError:
            return False

    def kill(self) -> None:
        """SIGKILL: no shutdown save; only what the append-only file already holds survives."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def destroy(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def django_env(*, database_url: str, broker_url: str, standin_url: str, lock_url: str) -> dict:
    """The environment of a worker (or a one-off Django script) on the given services."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.faults.worker_settings",
        "SECRET_KEY": "faults-test-secret",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "ARXIV_API_URL": f"{standin_url}/api/query",
        "ARXIV_OAI_URL": f"{standin_url}/oai",
        "ARXIV_MIN_INTERVAL": "0.05",
        "ARXIV_LOCK_URL": lock_url,
        "ARXIV_TIMEOUT": "1",
        "ARXIV_RETRIES": "1",
        "LOG_LEVEL": "WARNING",
    }


def django_script(code: str, env: dict) -> str:
    """Run `code` in a fresh Django process with `env`; returns its stdout."""
    prelude = "import django; django.setup()\n"
    done = subprocess.run(
        [sys.executable, "-c", prelude + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode:
        raise AssertionError(f"django script failed:\n{done.stderr[-3000:]}")
    return done.stdout


def start_worker(env: dict, log: Path) -> subprocess.Popen:
    """A real `celery worker` (prefork, one child) in its own process group."""
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "sellm", "worker", "--pool", "prefork"),
            *("--concurrency", "1", "--loglevel", "WARNING"),
            *("--hostname", f"faults-{uuid.uuid4().hex[:8]}@%h"),
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: SIGKILL takes the pool child too
    )


def kill_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
