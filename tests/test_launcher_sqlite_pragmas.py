"""`make run`'s embedded Temporal server gets the SQLite pragmas of TEMPORAL_SQLITE_PRAGMAS."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.launcher import _wait_for_temporal, dev_server_config
from app.settings import Settings
from temporal import dev_server
from temporal.client import TemporalConnection
from tests.utils.servers import free_port


def pragma_flags(command: list[str]) -> list[str]:
    return [command[i + 1] for i, word in enumerate(command) if word == "--sqlite-pragma"]


def test_the_default_is_a_write_ahead_log_synced_at_checkpoints(tmp_path: Path) -> None:
    config = dev_server_config(Settings(_env_file=None, data_dir=tmp_path))
    assert config.db_file == tmp_path / "temporal.db"
    assert pragma_flags(dev_server.command(config)) == ["journal_mode=wal", "synchronous=normal"]


def test_an_empty_setting_leaves_sqlite_its_defaults(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path, temporal_sqlite_pragmas="")
    assert pragma_flags(dev_server.command(dev_server_config(settings))) == []


def test_pragmas_are_read_in_any_case_with_spaces(tmp_path: Path) -> None:
    settings = Settings(
        _env_file=None, data_dir=tmp_path, temporal_sqlite_pragmas=" Synchronous = FULL , "
    )
    assert pragma_flags(dev_server.command(dev_server_config(settings))) == ["synchronous=full"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("cache_size=100", "'cache_size' is not one of journal_mode, synchronous"),
        ("synchronous=sometimes", "synchronous takes off, normal, full, extra, not 'sometimes'"),
        ("journal_mode", "journal_mode takes delete, truncate, persist, memory, wal, off, not ''"),
    ],
)
def test_an_unknown_pragma_or_value_is_refused_by_name(value: str, message: str) -> None:
    # The Temporal CLI would pass any pragma on without a word: a typo must not go unnoticed.
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, temporal_sqlite_pragmas=value)
    assert message in str(refused.value)


def journal_mode(db_file: Path) -> str:
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as database:
        mode: str = database.execute("PRAGMA journal_mode").fetchone()[0]
    return mode


@pytest.mark.parametrize(("pragmas", "mode"), [("journal_mode=wal", "wal"), ("", "delete")])
def test_the_server_keeps_its_file_as_the_setting_says(
    tmp_path: Path, pragmas: str, mode: str
) -> None:
    settings = Settings(
        _env_file=None,
        data_dir=tmp_path,
        temporal_port=free_port(),
        temporal_ui_port=free_port(),
        temporal_sqlite_pragmas=pragmas,
    )
    server = dev_server.start(dev_server_config(settings), tmp_path / "temporal.log")
    try:
        asyncio.run(_wait_for_temporal(TemporalConnection.from_settings(settings)))
        assert journal_mode(tmp_path / "temporal.db") == mode
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
