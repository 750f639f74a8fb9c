"""`make bench` on a tiny corpus: the runner builds its database, runs a benchmark in its own
process, and writes results.json and the report in the shape docs/performance.md relies on."""

import json
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def test_runner_writes_figures_and_renders_them(tmp_path: Path) -> None:
    database = settings.DATABASES["default"]
    login = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    server = f"postgresql://{login}@{database['HOST']}:{database['PORT'] or 5432}"
    corpus = f"{database['NAME']}_runner_corpus"[:63]
    results, report = tmp_path / "results.json", tmp_path / "performance.md"
    command = [sys.executable, "bench/run.py", "--papers", "200", "--only", "api", "--runs", "1"]
    command += ["--corpus-db", corpus, "--results", str(results), "--report", str(report)]
    env = {"BENCH_PG_URL": f"{server}/postgres", "PATH": "/usr/bin:/bin"}
    try:
        subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{corpus}" WITH (FORCE)')

    data = json.loads(results.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "ram_gb", "python", "postgresql", "load_average", "date"} <= set(
        data["machine"]
    )
    assert set(data["runs"]) == {"corpus", "api"}
    figures = {figure["key"]: figure for figure in data["figures"]}
    assert figures["corpus.papers"]["value"] == 200
    newest = figures["api.list-newest-first.median"]
    assert {"name", "value", "unit", "baseline", "baseline_value", "ratio"} <= set(newest)
    assert newest["unit"] == "ms"
    assert newest["ratio"] == pytest.approx(newest["value"] / newest["baseline_value"], rel=1e-3)
    text = report.read_text(encoding="utf-8")
    assert "{{" not in text
    assert f"| {newest['name']} |" in text
