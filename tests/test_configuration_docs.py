"""Every setting is documented in README.md's Configuration table and in `.env.example`,
nothing else is, and the example file sets nothing but the defaults."""

from __future__ import annotations

import re

from app.settings import PROJECT_ROOT, Settings

SETTINGS = {name.upper() for name in Settings.model_fields}
_TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]*)` \|")
_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=")


def readme_table() -> list[str]:
    text = (PROJECT_ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return [m.group(1) for line in section.splitlines() if (m := _TABLE_ROW.match(line))]


def env_example() -> dict[str, bool]:
    """Each variable of `.env.example` → whether it is set (False: only shown, commented out)."""
    found: dict[str, bool] = {}
    for line in (PROJECT_ROOT / ".env.example").read_text().splitlines():
        if match := _ASSIGNMENT.match(line):
            found[match.group(2)] = found.get(match.group(2), False) or match.group(1) is None
    return found


def test_the_readme_documents_every_setting_once() -> None:
    documented = readme_table()
    assert sorted(documented) == sorted(SETTINGS)


def test_the_env_example_names_every_setting_and_nothing_else() -> None:
    assert set(env_example()) == SETTINGS


def test_the_env_example_sets_only_the_defaults() -> None:
    defaults = Settings(_env_file=None)
    example = Settings(_env_file=PROJECT_ROOT / ".env.example")
    assert example == defaults


def test_the_readme_gives_the_real_data_dir_default() -> None:
    assert Settings.model_fields["data_dir"].default == PROJECT_ROOT / "var"
    [row] = [
        line
        for line in (PROJECT_ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `DATA_DIR` |")
    ]
    assert "| `<project>/var` |" in row
