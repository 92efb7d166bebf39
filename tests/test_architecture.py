"""The ladder between packages (docs/architecture.md) is enforced: `make lint` runs
import-linter over the contracts in pyproject.toml, and a wrong import breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("app", "workflows", "activities", "temporal", "emulator")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def _copy_of_the_tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    return tmp_path


def test_the_tree_keeps_every_contract() -> None:
    result = _lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        ("workflows/run.py", "import activities.registry", "The ladder"),
        ("workflows/state.py", "import app.store.accounts", "The interpreter does no I/O"),
        ("app/language/plan.py", "import app.catalog", "The ladder"),
        ("activities/x/nodes.py", "import activities.instagram.nodes", "Platforms stand apart"),
        ("emulator/app.py", "import app.settings", "The emulator stands apart"),
        ("temporal/schedules.py", "import app.language.expressions._parser", "Private modules"),
        ("app/api/run_schemas.py", "import workflows.state", "The API has its own run models"),
    ],
)
def test_a_wrong_import_breaks_a_contract(
    tmp_path: Path, module: str, wrong_import: str, broken: str
) -> None:
    tree = _copy_of_the_tree(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{wrong_import}  # noqa\n")

    result = _lint_imports(tree)

    assert result.returncode != 0
    _, _, broken_contracts = result.stdout.partition("Broken contracts")
    assert broken in broken_contracts, result.stdout
