"""Where the test suite spends CPU: the records of `pytest -p tests.utils.cpu_times`.

TEST_CPU_DIR=var/test-cpu .venv/bin/pytest -p tests.utils.cpu_times ...
.venv/bin/python -m bench.test_cpu var/test-cpu [how many of the costliest to list]
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(directory: Path, top: int) -> None:
    tests: dict[str, float] = defaultdict(float)
    modules: dict[str, float] = defaultdict(float)
    collect = process = 0.0
    for path in sorted(directory.glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            cpu = record["own"] + record["children"]
            if record["phase"] == "test":
                tests[record["nodeid"]] += cpu
                modules[record["nodeid"].split("::")[0]] += cpu
            elif record["phase"] == "collect":
                collect += cpu
            else:
                process += cpu
    print(f"test processes: {process:.1f} CPU-s in all, {collect:.1f} collecting")
    print(f"tests: {sum(tests.values()):.1f} CPU-s over {len(tests)} tests")
    print(f"\ncostliest {top} modules:")
    for name, cpu in sorted(modules.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {cpu:7.1f}  {name}")
    print(f"\ncostliest {top} tests:")
    for name, cpu in sorted(tests.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {cpu:7.1f}  {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 30)
