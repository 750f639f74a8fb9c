"""Settings come from the environment; production refuses to start without a secret."""

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from django.utils.deprecation import RemovedInDjango60Warning

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings as s; django.setup(); "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
    "'broker': s.CELERY_BROKER_URL, 'debug': s.DEBUG, 'cache': s.CACHES['default']['BACKEND']}))"
)


def settings_with(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "CACHE_URL", "VAR_DIR"}
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="sellm.settings")
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_without_a_secret_key_refuses_to_start() -> None:
    for variable in ("DATABASE_URL", "CELERY_BROKER_URL"):
        value = (
            "postgres://sellm@db:5432/sellm" if variable == "DATABASE_URL" else "redis://r:6379/0"
        )
        result = settings_with(**{variable: value})

        assert result.returncode != 0, variable
        assert "SECRET_KEY is not set" in result.stderr


def test_the_embedded_default_generates_its_secret_key_once_into_var(tmp_path: Path) -> None:
    import json

    first = settings_with(VAR_DIR=str(tmp_path))
    key_file = tmp_path / "secret-key"
    key = key_file.read_text(encoding="utf-8")
    second = settings_with(VAR_DIR=str(tmp_path))

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    assert json.loads(first.stdout)["debug"] is False  # served as readers see it
    assert len(key.strip()) >= 50
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.read_text(encoding="utf-8") == key  # reused, not regenerated


def manage_without_a_secret(*args: str, **env: str) -> subprocess.CompletedProcess:
    skipped = {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in skipped}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_code_only_commands_run_without_a_secret_and_production_commands_refuse() -> None:
    production = {"DATABASE_URL": "postgres://sellm@127.0.0.1:9/sellm"}
    migrations = manage_without_a_secret("makemigrations", "--check", "--dry-run", **production)
    checked = manage_without_a_secret("check", "--deploy", **production)

    assert migrations.returncode == 0, migrations.stderr
    assert "No changes detected" in migrations.stdout
    assert checked.returncode != 0
    assert "SECRET_KEY is not set" in checked.stderr


def test_manage_py_works_in_the_embedded_default_without_variables_or_banners(
    tmp_path: Path,
) -> None:
    checked = manage_without_a_secret("check", VAR_DIR=str(tmp_path))

    assert checked.returncode == 0, checked.stderr
    assert "System check identified no issues" in checked.stdout
    assert "AXES" not in checked.stdout + checked.stderr  # no lockout-library start-up lines


def test_the_embedded_default_is_sqlite_under_var_with_in_process_tasks() -> None:
    import json

    result = settings_with(DEBUG="1")

    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.sqlite3"
    assert config["name"] == str(ROOT / "var" / "sellm.sqlite3")
    assert config["eager"] is True
    assert config["debug"] is True


def test_production_environment_selects_postgresql_redis_broker_and_shared_cache() -> None:
    import json

    result = settings_with(
        SECRET_KEY="x" * 50,
        DATABASE_URL="postgres://sellm@db:5432/sellm",
        CELERY_BROKER_URL="redis://redis:6379/0",
        CACHE_URL="redis://redis:6379/1",
    )

    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["engine"] == "django.db.backends.postgresql"
    assert config["eager"] is False
    assert config["broker"] == "redis://redis:6379/0"
    assert config["debug"] is False
    assert config["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_django_6_deprecations_fail_the_suite() -> None:
    with pytest.raises(RemovedInDjango60Warning):
        warnings.warn("removed in Django 6", RemovedInDjango60Warning, stacklevel=1)
