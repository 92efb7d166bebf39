"""The emulator stands apart from the engine it is used to test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ENGINE_PACKAGES = ("app", "workflows", "activities", "temporal", "tests")


def test_the_emulator_imports_no_engine_or_test_code() -> None:
    code = (
        "import sys, emulator, emulator.testing, emulator.control_api\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({ENGINE_PACKAGES!r})))"
    )

    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )

    assert result.stdout.strip() == "[]"
