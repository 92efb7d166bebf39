"""CPU time of each test, to find where the suite spends the machine (bench/README.md).

Loaded on demand, `pytest -p tests.utils.cpu_times`: each test process appends one JSON line
per test to `$TEST_CPU_DIR/<worker>.jsonl` (setup, call and teardown together: the test's own
process, all its threads, and the children it reaped in the meantime), and one line for its
collection and one for its whole life. `python -m bench.test_cpu` sums them up. CPU time, not
wall time: on a machine shared with other jobs only CPU time compares between runs.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

_START = time.process_time()


def _cpu() -> tuple[float, float]:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time(), children.ru_utime + children.ru_stime


def _write(config: pytest.Config, record: dict[str, Any]) -> None:
    directory = Path(os.environ.get("TEST_CPU_DIR", "var/test-cpu"))
    directory.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with (directory / f"{worker}.jsonl").open("a") as out:
        out.write(json.dumps(record) + "\n")


def pytest_collection_finish(session: pytest.Session) -> None:
    own, children = _cpu()
    _write(session.config, {"phase": "collect", "own": own - _START, "children": children})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, None, None]:
    own, children = _cpu()
    start = time.time()
    yield
    own_after, children_after = _cpu()
    _write(
        item.config,
        {
            "phase": "test",
            "nodeid": item.nodeid,
            "own": own_after - own,
            "children": children_after - children,
            "start": start,
            "end": time.time(),
        },
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    own, children = _cpu()
    _write(config, {"phase": "process", "own": own, "children": children})
