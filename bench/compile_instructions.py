"""Instructions, not seconds: how the work of validating and compiling grows from 1,000 to
10,000 nodes, counted by valgrind's callgrind, which counts the same for the same program
and input whatever the caches and the machine's load do (bench/README.md, compile_graphs).

Four processes under callgrind: each builds the generated graph of one size, and two of them
compile it once (cold, as a fresh save). A compile's instructions are its process's less the
one that only built the graph. A growth of at most 10x for 10x the nodes says that no pass
does more work per node on a bigger graph; what the wall clock adds on top
(`bench.compile_graphs`) is the memory hierarchy's.

Run: `.venv/bin/python -m bench.compile_instructions` (a few minutes: valgrind runs Python
some 50 times slower). Needs valgrind. Not a test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from app.settings import PROJECT_ROOT
from bench.machine import print_header, record
from tests.utils.graphs import sized_graph

SIZES = (1_000, 10_000)
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _child(size: int, compile_it: bool) -> None:
    from app.catalog import CATALOG
    from tests.utils.compiling import compile_workflow

    graph = sized_graph(size, seed=size)
    if compile_it:
        compile_workflow(graph, catalog=CATALOG)


def _instructions(size: int, compile_it: bool, directory: Path) -> int:
    out = directory / f"callgrind.{size}.{int(compile_it)}"
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise SystemExit("bench.compile_instructions needs valgrind (apt-get install valgrind)")
    answer = subprocess.run(  # noqa: S603 (valgrind on this interpreter, fixed arguments)
        [
            valgrind,
            "--tool=callgrind",
            f"--callgrind-out-file={out}",
            sys.executable,
            "-m",
            "bench.compile_instructions",
            "--child",
            str(size),
            "1" if compile_it else "0",
        ],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONHASHSEED": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    found = _REFS.search(answer.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no instruction count:\n{answer.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    machine = print_header("bench.compile_instructions")
    with (
        tempfile.TemporaryDirectory(prefix="bench-callgrind-") as base,
        ThreadPoolExecutor(2) as pool,
    ):
        runs = {
            (size, compile_it): pool.submit(_instructions, size, compile_it, Path(base))
            for size in SIZES
            for compile_it in (False, True)
        }
        counts = {key: future.result() for key, future in runs.items()}
    compiles = {size: counts[size, True] - counts[size, False] for size in SIZES}
    for size in SIZES:
        per_node = compiles[size] / size
        print(f"{size:>7} nodes: {compiles[size]:>15,} instructions ({per_node:,.0f} per node)")
    growth = compiles[10_000] / compiles[1_000]
    print(f"10,000 nodes / 1,000 nodes: {growth:.2f}x the instructions")
    record(
        "compile_instructions",
        f"compile instructions grow {growth:.2f}x from 1,000 to 10,000 nodes",
        {f"{size} nodes instructions": compiles[size] for size in SIZES} | {"growth": growth},
        machine,
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(int(sys.argv[2]), sys.argv[3] == "1")
    else:
        main()
