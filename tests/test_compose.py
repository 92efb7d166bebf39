"""docker-compose.yml cannot be started here (no Docker engine), so its shape is checked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def test_compose_runs_database_temporal_ui_api_and_workers() -> None:
    services = compose()["services"]
    assert {"postgres", "temporal", "temporal-ui", "api", "worker", "migrate"} <= set(services)


def test_app_services_only_set_settings_that_exist() -> None:
    known = {name.upper() for name in Settings.model_fields}
    for name in ("api", "worker", "migrate"):
        assert set(compose()["services"][name]["environment"]) <= known, name


def test_app_services_run_in_production_and_take_secrets_from_the_environment() -> None:
    for name in ("api", "worker"):
        environment = compose()["services"][name]["environment"]
        assert environment["ENVIRONMENT"] == "production"
        for secret in ("SECRET_KEY", "VAULT_KEYS"):
            assert environment[secret].startswith("${"), f"{name} hard-codes {secret}"


def test_app_services_run_entry_points_that_exist() -> None:
    services = compose()["services"]
    assert services["worker"]["command"][-1] == "worker.py"
    assert (ROOT / "worker.py").exists()
    assert "api:app" in services["api"]["command"]
    assert (ROOT / "api.py").exists()


def test_workers_get_time_to_drain_before_being_killed() -> None:
    worker = compose()["services"]["worker"]
    grace = int(worker["stop_grace_period"].rstrip("s"))
    assert grace > Settings().worker_shutdown_grace_seconds
