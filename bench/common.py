"""What every benchmark shares: the Figure it reports, its databases, and the machine it ran on.

Each benchmark module has a `run(...) -> list[Figure]` (called by bench/run.py in a fresh
process, so each gets its own Django settings and database) and keeps its own command line.
"""

import os
import platform
import re
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The server's maintenance database: benchmarks create and drop their own databases there.
ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CORPUS_DB = "sellm_bench_corpus"


@dataclass
class Figure:
    """One measured value next to the baseline measured in the same run.

    `key` is stable across runs (docs/performance.md refers to figures by it); `ratio` is
    value / baseline_value, so for rates higher is better and for times lower is better.
    """

    key: str
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float | None
    target: str = ""
    met: bool | None = None
    note: str = ""
    benchmark: str = field(default="", compare=False)

    @property
    def ratio(self) -> float | None:
        if not self.baseline_value:
            return None
        return self.value / self.baseline_value

    def as_json(self) -> dict:
        data = asdict(self)
        data["value"] = round(self.value, 4)
        if self.baseline_value is not None:
            data["baseline_value"] = round(self.baseline_value, 4)
        data["ratio"] = None if self.ratio is None else round(self.ratio, 4)
        return data


def database_url(name: str) -> str:
    """The Django DATABASE_URL of a database on the benchmark server."""
    base = ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgres://", 1)
    return f"{base}/{name}"


def admin_sql(*statements: str) -> None:
    import psycopg

    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def recreate_database(name: str) -> str:
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return database_url(name)


def drop_database(name: str) -> None:
    admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def configure_django(database: str, settings_module: str = "sellm.settings", **env: str) -> None:
    """Point Django at a database and set it up (once per process)."""
    import django

    os.environ["DATABASE_URL"] = database
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("SECRET_KEY", "benchmark-only")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.update(env)
    django.setup()


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _first_match(path: str, pattern: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""
    match = re.search(pattern, text, re.M)
    return match.group(1).strip() if match else ""


def machine() -> dict:
    """The machine and software a run measured, as the report prints them."""
    import psycopg

    with psycopg.connect(ADMIN_URL) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        shared_buffers = conn.execute("SHOW shared_buffers").fetchone()[0]  # type: ignore[index]
    memory_kb = _first_match("/proc/meminfo", r"^MemTotal:\s+(\d+)")
    wrk = "not installed"
    if shutil.which("wrk"):
        version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        wrk = (version.stdout or version.stderr).split(" [", 1)[0].strip()
    return {
        "cpu": _first_match("/proc/cpuinfo", r"^model name\s*:\s*(.+)$") or platform.processor(),
        "cores": os.cpu_count(),
        "ram_gb": round(int(memory_kb) / 1024 / 1024, 1) if memory_kb else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "postgresql": f"{server} (shared_buffers {shared_buffers})",
        "wrk": wrk,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_average": load_average(),
    }
