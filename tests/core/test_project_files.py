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


def test_compose_file_defines_the_production_processes() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]

    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis"):
        assert "healthcheck" in services[name]
    app_services = [services[name] for name in ("web", "worker", "beat")]
    assert all(service["image"] == "sellm:latest" for service in app_services)
    assert all(service["env_file"] == ".env" for service in app_services)
    assert all(
        service["depends_on"]["postgres"]["condition"] == "service_healthy"
        for service in app_services
    )
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"][:3] == ["celery", "-A", "sellm"]
    assert "beat" in services["beat"]["command"]
