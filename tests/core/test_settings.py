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
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "DEBUG", "CACHE_URL"}
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


def test_without_debug_a_missing_secret_key_refuses_to_start(tmp_path: Path) -> None:
    result = settings_with()

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def manage_without_a_secret(*args: str) -> subprocess.CompletedProcess:
    skipped = {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}
    clean = {k: v for k, v in os.environ.items() if k not in skipped}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_code_only_commands_run_without_a_secret_and_the_rest_refuse() -> None:
    migrations = manage_without_a_secret("makemigrations", "--check", "--dry-run")
    checked = manage_without_a_secret("check", "--deploy")

    assert migrations.returncode == 0, migrations.stderr
    assert "No changes detected" in migrations.stdout
    assert checked.returncode != 0
    assert "SECRET_KEY is not set" in checked.stderr


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
