"""Where the Temporal dev server's CPU goes: `perf` samples of its stripped Go binary, named.

The `temporal` binary has no symbol table, so `perf report` shows bare addresses; a Go
binary still carries its function table (`.gopclntab`, Go 1.20+ layout), which this reads
to name each sampled frame. It prints, for a few groups of functions (SQLite, persistence,
visibility, the services, the garbage collector, ...), the share of samples with a frame of
that group anywhere in the stack, and the leaf functions' packages.

    perf record -F 499 -g -p <server pid> -o var/server.perf -- sleep 20
    .venv/bin/python -m bench.server_profile var/server.perf

Not a test: the figures go in bench/README.md ("The floor: what Temporal itself costs per run").
"""

from __future__ import annotations

import argparse
import bisect
import collections
import shutil
import struct
import subprocess
import sys
from pathlib import Path

GROUPS: dict[str, tuple[str, ...]] = {
    "SQLite (modernc, C translated to Go) or database/sql": (
        "modernc.org/", "database/sql", "github.com/jmoiron/sqlx",
    ),
    "persistence layer": ("go.temporal.io/server/common/persistence",),
    "visibility": ("go.temporal.io/server/common/persistence/visibility",),
    "history service": ("go.temporal.io/server/service/history",),
    "matching service": ("go.temporal.io/server/service/matching",),
    "frontend service": ("go.temporal.io/server/service/frontend",),
    "gRPC transport": ("google.golang.org/grpc/internal/transport", "golang.org/x/net/http2"),
    "protobuf": ("google.golang.org/protobuf/",),
    "gzip": ("compress/",),
    "metrics (tally)": ("github.com/uber-go/tally",),
    "garbage collector marking": ("runtime.gcBgMarkWorker",),
    "allocation": ("runtime.mallocgc",),
}  # fmt: skip


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"'{name}' is not installed (perf: linux-perf; readelf: binutils)")
    return found


class FunctionTable:
    """Function names by address, from a Go binary's `.gopclntab`."""

    def __init__(self, binary: Path) -> None:
        sections = subprocess.run(  # noqa: S603 (a tool found on PATH, fixed arguments)
            [tool("readelf"), "-SW", str(binary)], capture_output=True, text=True, check=True
        ).stdout
        found = {
            words[1]: (int(words[3], 16), int(words[4], 16))
            for line in sections.splitlines()
            if (words := line.replace("[ ", "[").split()) and len(words) > 4
            and words[1] in (".gopclntab", ".text")
        }  # fmt: skip
        text_address = found[".text"][0]
        table = binary.read_bytes()[found[".gopclntab"][1] :]
        magic = struct.unpack_from("<I", table, 0)[0]
        if magic not in (0xFFFFFFF0, 0xFFFFFFF1):
            raise SystemExit(f"{binary}: not a Go 1.18+ function table ({magic:#x})")
        functions, _, _, names_at, _, _, _, functab_at = struct.unpack_from("<8Q", table, 8)
        self.entries: list[int] = []
        self.names: list[str] = []
        for number in range(functions):
            entry, at = struct.unpack_from("<II", table, functab_at + 8 * number)
            name_at = names_at + struct.unpack_from("<Ii", table, functab_at + at)[1]
            self.names.append(table[name_at : table.index(b"\0", name_at)].decode(errors="replace"))
            # Entries are offsets from the start of the text section.
            self.entries.append(text_address + entry)

    def name(self, address: int) -> str:
        found = bisect.bisect_right(self.entries, address) - 1
        return self.names[found] if found >= 0 else "?"


def stacks(perf_data: Path, binary: Path) -> list[list[tuple[int, bool]]]:
    """Each sample's frames, leaf first: (address, whether it is in `binary`)."""
    script = subprocess.run(  # noqa: S603 (a tool found on PATH, fixed arguments)
        [tool("perf"), "script", "-i", str(perf_data), "-F", "ip,dso", "--show-mmap-events"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    base = 0
    samples: list[list[tuple[int, bool]]] = []
    frames: list[tuple[int, bool]] = []
    for line in script.splitlines():
        if "PERF_RECORD_" in line:
            if str(binary) in line and "r-xp" in line:
                # perf prints addresses relative to the mapping: add where it was mapped.
                base = int(line.split("[", 1)[1].split("(")[0], 16)
            continue
        line = line.strip()
        if not line:
            if frames:
                samples.append(frames)
            frames = []
            continue
        address, _, dso = line.partition(" ")
        frames.append((int(address, 16), binary.name in dso))
    if frames:
        samples.append(frames)
    return [[(address + base if ours else address, ours) for address, ours in s] for s in samples]


def package(function: str) -> str:
    path, _, last = function.partition("(")[0].rpartition("/")
    return f"{path}/{last.split('.')[0]}" if path else last.split(".")[0]


def main(perf_data: Path, binary: Path) -> None:
    table = FunctionTable(binary)
    samples = stacks(perf_data, binary)
    leaves: collections.Counter[str] = collections.Counter()
    groups: collections.Counter[str] = collections.Counter()
    for frames in samples:
        address, ours = frames[0]
        leaves[package(table.name(address)) if ours else "[kernel and others]"] += 1
        names = [table.name(address) for address, ours in frames if ours]
        for group, prefixes in GROUPS.items():
            if any(name.startswith(prefixes) for name in names):
                groups[group] += 1
    print(f"{len(samples)} samples of {binary}")
    print("samples with a frame of (anywhere in the stack):")
    for group in GROUPS:
        print(f"  {100 * groups[group] / len(samples):5.1f} %  {group}")
    print("leaf frames by package:")
    for name, count in leaves.most_common(15):
        print(f"  {100 * count / len(samples):5.1f} %  {name}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("perf_data", type=Path)
    parser.add_argument("--binary", type=Path, default=Path(sys.executable).parent / "temporal")
    arguments = parser.parse_args()
    main(arguments.perf_data, arguments.binary.resolve())
