"""The files others rely on stay true: .env.example documents every setting, compose is
well-formed and runs the same app definition for every process."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_env_example_documents_every_variable_the_settings_read() -> None:
    settings_source = (ROOT / "sellm" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_]+)"', settings_source))
    documented = set(
        re.findall(r"^#?\s*([A-Z_]+)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M)
    )

    assert read, "no env() calls found in settings.py"
    assert read - documented == set()


def compose_services() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]


def command_text(service: dict) -> str:
    command = service["command"]
    return command if isinstance(command, str) else " ".join(command)


def test_compose_runs_every_production_process_from_one_app_definition() -> None:
    services = compose_services()
    app_services = {name: services[name] for name in ("migrate", "web", "worker", "beat")}

    assert {"postgres", "redis", "migrate", "web", "worker", "beat", "proxy"} <= set(services)
    for service in app_services.values():  # the x-app anchor, merged into each
        assert service["image"] == "sellm:latest"
        assert service["build"] == "."
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgres://sellm:")
        assert service["environment"]["CELERY_BROKER_URL"] == "redis://redis:6379/0"
        assert service["environment"]["CACHE_URL"].startswith("redis://redis:6379/")
    for name in ("web", "worker", "beat"):
        depends = app_services[name]["depends_on"]
        assert depends["postgres"]["condition"] == "service_healthy"
        assert depends["redis"]["condition"] == "service_healthy"
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_compose_services_have_health_checks_and_persistent_data() -> None:
    services = compose_services()

    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "postgres-data:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert services["redis"]["healthcheck"]["test"][-1] == "ping"
    assert "redis-data:/data" in services["redis"]["volumes"]
    redis_command = command_text(services["redis"])
    assert "--appendonly yes" in redis_command  # queued tasks survive a Redis restart


def test_compose_commands_start_each_process_the_way_production_needs() -> None:
    services = compose_services()
    migrate, web = command_text(services["migrate"]), command_text(services["web"])

    assert "manage.py migrate --noinput" in migrate
    assert "setup_roles" in migrate
    assert services["migrate"]["restart"] == "no"
    assert "collectstatic --noinput" in web
    assert "gunicorn sellm.wsgi --bind 0.0.0.0:8000" in web
    assert "ports" not in services["web"]  # replicas scale behind the proxy's one port
    assert services["worker"]["command"][:4] == ["celery", "-A", "sellm", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "sellm", "beat"]
    assert services["proxy"]["ports"] == ["${SELLM_PORT:-127.0.0.1:8000}:8080"]


def test_the_proxy_config_reaches_every_web_replica() -> None:
    config = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    mounted = compose_services()["proxy"]["volumes"]

    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in mounted
    assert "listen 8080;" in config
    assert "resolver 127.0.0.11" in config  # re-resolves "web" as replicas come and go
    assert "proxy_pass $web;" in config
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" in config


def test_the_image_runs_as_a_user_and_ships_its_static_files() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()

    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "--require-hashes -r requirements/base.txt" in dockerfile
    assert "collectstatic --noinput" in dockerfile
    assert {".env", ".venv", ".git", "var"} <= set(ignored)  # no secret or local data baked in
