"""docker-compose.yml cannot be started here (no Docker engine): it is validated against the
Compose Specification's schema, its images are held to the Temporal the tests run, and the
commands its containers run are run here against local processes (tests/deploy/)."""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from app.cli import parser
from app.settings import Settings
from temporal.dev_server import find_binary
from temporal.server_config import SERVER_DYNAMIC_CONFIG

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("api", "worker", "migrate", "temporal-setup", "emulator", "sandbox-setup")

NOT_PASSED = {
    "ENVIRONMENT": "always production in the compose file",
    "DATA_DIR": "SQLite and the embedded server's files: the compose file uses neither",
    "TEMPORAL_PORT": "the embedded server's",
    "TEMPORAL_UI_PORT": "the embedded server's",
    "TEMPORAL_SQLITE_PRAGMAS": "the embedded server's",
    "API_HOST": "uvicorn's command line says where the API listens",
    "API_PORT": "uvicorn's command line says where the API listens",
    "WORKER_HEALTH_FILE": "set by the worker service itself",
    "WORKER_METRICS_ADDRESS": "set by the worker service itself",
}
"""Settings the app services do not take from the operator's environment, and why."""


def compose() -> dict[str, Any]:
    document = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert isinstance(document, dict)
    return document


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def test_the_file_follows_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests/deploy/compose-spec.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(compose()), key=lambda e: list(e.path)
    )
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_a_file_that_breaks_the_specification_is_caught() -> None:
    schema = json.loads((ROOT / "tests/deploy/compose-spec.schema.json").read_text())
    broken = compose()
    broken["services"]["api"]["depends_on"]["migrate"]["condition"] = "service_done"
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_it_runs_database_temporal_setup_jobs_ui_api_and_workers() -> None:
    assert {
        "postgres", "temporal-schema", "temporal", "temporal-setup", "temporal-ui", "migrate",
        "api", "worker",
    } <= set(services())  # fmt: skip


def _temporal_versions() -> tuple[str, str]:
    printed = subprocess.run(
        [str(find_binary("temporal")), "--version"], capture_output=True, text=True, check=True
    ).stdout
    found = re.search(r"Server ([0-9.]+), UI ([0-9.]+)", printed)
    assert found, printed
    return found.group(1), found.group(2)


def test_images_are_the_temporal_the_tests_run() -> None:
    server, ui = _temporal_versions()
    assert services()["temporal"]["image"] == f"temporalio/server:{server}"
    assert services()["temporal-schema"]["image"] == f"temporalio/admin-tools:{server}"
    assert services()["temporal-ui"]["image"] == f"temporalio/ui:{ui}"
    text = (ROOT / "docker-compose.yml").read_text()
    assert "auto-setup" not in text, "temporalio/auto-setup is deprecated"
    assert "tctl" not in text, "tctl is past its end of support"
    docs = (ROOT / "docs/deployment.md").read_text()
    assert f"temporalio/server:{server}" in docs
    assert f"temporalio/ui:{ui}" in docs


def test_the_server_runs_with_the_embedded_servers_dynamic_config() -> None:
    temporal = services()["temporal"]
    path = temporal["environment"]["DYNAMIC_CONFIG_FILE_PATH"]
    assert path == "config/dynamicconfig/flowhold.yaml"
    mount = next(
        v for v in temporal["volumes"] if v.endswith(":/etc/temporal/config/dynamicconfig:ro")
    )
    config = yaml.safe_load((ROOT / mount.split(":")[0] / "flowhold.yaml").read_text())
    values = {key: str(entries[0]["value"]).lower() for key, entries in config.items()}
    for key, value in SERVER_DYNAMIC_CONFIG.items():
        assert values.get(key) == value, key


def test_schema_then_server_then_setup_then_the_engine() -> None:
    s = services()
    assert (
        s["temporal"]["depends_on"]["temporal-schema"]["condition"]
        == "service_completed_successfully"
    )
    assert s["temporal-setup"]["depends_on"]["temporal"]["condition"] == "service_healthy"
    for name in ("api", "worker"):
        for job in ("migrate", "temporal-setup"):
            assert s[name]["depends_on"][job]["condition"] == "service_completed_successfully"
    script = ROOT / "deploy/temporal/setup-schema.sh"
    assert s["temporal-schema"]["entrypoint"][-1].endswith(script.name)
    subprocess.run(["sh", "-n", str(script)], check=True)
    text = script.read_text()
    assert "schema/postgresql/v12/temporal/versioned" in text.replace(
        "$SCHEMA/", "schema/postgresql/v12/"
    )
    assert "visibility/versioned" in text


def test_every_command_a_container_runs_exists() -> None:
    [commands] = [
        action for action in parser()._actions if isinstance(action, argparse._SubParsersAction)
    ]
    known = set(commands.choices)
    for name, service in services().items():
        command = service.get("command")
        if not isinstance(command, list) or command[:1] != ["python"]:
            continue
        if command[1] == "-m":
            module = command[2]
            assert (ROOT / module.replace(".", "/")).with_suffix(".py").exists() or (
                ROOT / module.replace(".", "/") / "__main__.py"
            ).exists(), f"{name}: no module {module}"
            if module == "app.cli":
                assert command[3] in known, f"{name}: app.cli has no command {command[3]}"
        else:
            assert (ROOT / command[1]).exists(), f"{name}: no {command[1]}"
    for name in ("api", "worker", "emulator"):
        probe = services()[name]["healthcheck"]["test"]
        assert probe[:3] == ["CMD", "python", "-m"], name
        assert (ROOT / probe[3].replace(".", "/")).with_suffix(".py").exists()


def test_the_api_trusts_forwarded_addresses_only_from_the_proxy() -> None:
    command = services()["api"]["command"]
    assert "--proxy-headers" in command
    assert command[command.index("--forwarded-allow-ips") + 1].startswith("${FORWARDED_ALLOW_IPS")


def test_health_checks_on_everything_that_serves() -> None:
    s = services()
    for name in ("postgres", "temporal", "api", "worker", "emulator"):
        assert "healthcheck" in s[name], name
    assert s["worker"]["healthcheck"]["test"][-1] == "worker-health"
    assert s["worker"]["environment"]["WORKER_HEALTH_FILE"]


def _default(value: str) -> str | None:
    found = re.fullmatch(r"\$\{([A-Z_]+)(:-(.*)|:\?.*)\}", value)
    assert found, value
    return found.group(3) if found.group(2).startswith(":-") else None


def _as_environment(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def test_every_setting_is_passed_through_with_the_engines_default() -> None:
    for name in APP_SERVICES:
        environment = services()[name]["environment"]
        passed = set(environment)
        settings = {field.upper() for field in Settings.model_fields}
        assert passed <= settings, f"{name} sets what is not a setting: {passed - settings}"
        missing = settings - passed - set(NOT_PASSED)
        assert not missing, f"{name} does not pass {sorted(missing)}"
        for variable, value in environment.items():
            if variable in {
                "ENVIRONMENT",
                "DATABASE_URL",
                "WORKER_HEALTH_FILE",
                "WORKER_METRICS_ADDRESS",
            }:
                continue
            default = _default(value)
            if default is None:
                continue  # required: the compose file refuses to start without it
            if variable in {"TEMPORAL_ADDRESS", "SANDBOX_HOST"}:
                continue  # the compose file's own services
            if variable == "LOG_FORMAT":
                assert default == "json", "a deployment's logs go to a collector"
                continue
            expected = _as_environment(Settings.model_fields[variable.lower()].default)
            assert default == expected, (
                f"{name}: {variable} defaults to {default!r}, not {expected!r}"
            )


def test_app_services_run_in_production_and_take_secrets_from_the_environment() -> None:
    for name in APP_SERVICES:
        environment = services()[name]["environment"]
        assert environment["ENVIRONMENT"] == "production"
        for secret in ("SECRET_KEY", "VAULT_KEYS"):
            assert environment[secret].startswith("${")
            assert ":?" in environment[secret]


def test_workers_get_time_to_drain_before_being_killed() -> None:
    worker = services()["worker"]
    grace = int(worker["stop_grace_period"].rstrip("s"))
    assert grace > Settings().worker_shutdown_grace_seconds
    assert worker["deploy"]["replicas"] >= 2


def test_the_sandbox_profile_adds_the_emulator_and_its_setup() -> None:
    s = services()
    for name in ("emulator", "sandbox-setup"):
        assert s[name]["profiles"] == ["sandbox"]
    for name, service in s.items():
        if name not in ("emulator", "sandbox-setup"):
            assert "profiles" not in service, name


@pytest.mark.parametrize("answer", ["open", "closed"])
async def test_the_health_probe_says_whether_a_url_answers(
    answer: str, emulator_server: Any
) -> None:
    url = f"{emulator_server.url}/_emulator/clock" if answer == "open" else "http://127.0.0.1:9/"
    done = await asyncio.to_thread(
        subprocess.run,  # our own probe, against a server on this test's event loop
        [sys.executable, "-m", "app.health_probe", url],
        cwd=ROOT,
        capture_output=True,
        timeout=30,
    )
    assert done.returncode == (0 if answer == "open" else 1)
