"""The last step of `make bench`: the machine, then one line per figure of record.

Each bench leaves its headline in `var/bench/<bench>.json` (`bench.machine.record`); this
prints them in the README's order, with when each was measured and the load average at its
start, so a table pasted into the README says where its numbers came from. A bench with no
record says so; a record left by an earlier run shows with its own date and load.

Run: `.venv/bin/python -m bench.summary`.
"""

from __future__ import annotations

import json

from bench.machine import RECORDS, header

ORDER = (
    ("interpreter", "a graph against hand-written Temporal code"),
    ("api_start", "starting through the API against the Temporal client directly"),
    ("compile_graphs", "compile time by graph size"),
    ("compile_instructions", "compile instructions by graph size"),
    ("temporal_floor", "the floor of a durable run: server and worker CPU per run"),
    ("waiting_memory", "worker memory per waiting run"),
    ("webhook_automation", "runs/s of webhook → HTTP → if → HTTP"),
    ("http_clients", "the activities' HTTP clients"),
    ("worker_cpu", "worker and server CPU per run"),
)


def rows() -> list[tuple[str, str, str, str]]:
    found: list[tuple[str, str, str, str]] = []
    known = {name for name, _ in ORDER}
    extra = sorted(path.stem for path in RECORDS.glob("*.json") if path.stem not in known)
    for name, measures in [*ORDER, *((stem, "") for stem in extra)]:
        path = RECORDS / f"{name}.json"
        if not path.exists():
            found.append((f"bench/{name}.py", measures, "not measured by this checkout", ""))
            continue
        kept = json.loads(path.read_text())
        machine = kept.get("machine", {})
        when = f"{machine.get('measured', '?')}, load {machine.get('load average', '?')}"
        found.append((f"bench/{name}.py", measures, kept["headline"], when))
    return found


def main() -> None:
    print("Figures of record; the machine now (each row has its own time and load):")
    print(header() + "\n")
    print("| benchmark | measures | latest | measured |")
    print("| --- | --- | --- | --- |")
    for row in rows():
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
