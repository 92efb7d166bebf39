"""The machine a bench ran on, and the headline figures benches leave for `bench.summary`.

Figures of record mean nothing without the machine and how busy it was: every bench prints
`header()` before it starts, and `record()` keeps its headline figure, with that header, in
`var/bench/<bench>.json` so that `make bench` can end with one table (`bench.summary`).
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from app.settings import PROJECT_ROOT

RECORDS = PROJECT_ROOT / "var" / "bench"


def _first(path: str, prefix: str) -> str | None:
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(prefix):
            return line.split(":", 1)[1].strip() if ":" in line else line.split("=", 1)[1]
    return None


def _memory() -> str:
    total = _first("/proc/meminfo", "MemTotal")
    if total is None:
        return "unknown"
    return f"{int(total.split()[0]) / 1024 / 1024:.1f} GiB"


def _os() -> str:
    pretty = _first("/etc/os-release", "PRETTY_NAME=")
    kernel = f"{platform.system()} {platform.release()}"
    return f"{pretty.strip(chr(34))} ({kernel})" if pretty else kernel


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def temporal_server_version() -> str:
    """What the embedded server's CLI says it is (CLI, server and UI versions)."""
    # Imported here: `temporal.dev_server` pulls in the app's settings and contract, which a
    # caller that only wants the header of a record need not load.
    from app.errors import LaunchError
    from temporal.dev_server import find_binary

    try:
        binary = find_binary("temporal")
        said = subprocess.run(  # noqa: S603 (our own binary, fixed arguments)
            [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (LaunchError, OSError, subprocess.TimeoutExpired) as error:
        return f"unknown ({error})"
    version = said.stdout.strip().removeprefix("temporal version ")
    return f"CLI {version}" if version else "unknown"


def describe() -> dict[str, str]:
    """The machine, the software under test, and the load average now."""
    one, five, fifteen = os.getloadavg()
    return {
        "measured": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "memory": _memory(),
        "os": _os(),
        "python": platform.python_version(),
        "temporalio": _version("temporalio"),
        "temporal server": temporal_server_version(),
        "load average": f"{one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)",
    }


def header(machine: dict[str, str] | None = None) -> str:
    machine = machine or describe()
    width = max(map(len, machine))
    return "\n".join(f"{name:<{width}}  {value}" for name, value in machine.items())


def print_header(bench: str) -> dict[str, str]:
    """Print the machine before a bench starts; the same description goes in its record."""
    machine = describe()
    print(f"{bench} on\n{header(machine)}\n", flush=True)
    return machine


def record(bench: str, headline: str, figures: dict[str, Any], machine: dict[str, str]) -> Path:
    """Keep a bench's headline (one line of the summary table) and its figures."""
    RECORDS.mkdir(parents=True, exist_ok=True)
    path = RECORDS / f"{bench}.json"
    path.write_text(
        json.dumps(
            {"bench": bench, "headline": headline, "figures": figures, "machine": machine},
            indent=2,
            default=str,
        )
    )
    return path


if __name__ == "__main__":
    print(f"make bench on\n{header()}\n")
