"""The issues of a graph come in the same order in every process.

References are kept in frozensets, whose order follows hashes: string hashes are salted per
process and `hash(None)` is an address on 3.11. The builder shows issues in the order given.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = """
import json
from app.catalog import CATALOG
from app.language.validation import validate

document = {
    "nodes": [
        {"id": "start", "type": "trigger.manual"},
        {
            "id": "show",
            "type": "transform",
            "parameters": {
                "value": "{{ nodes['zeta'] }} {{ item }} {{ nodes['alpha'] }} {{ index }}"
                " {{ nodes[vars.k] }} {{ nodes['show'] }} {{ nodes['mid'] }} {{ trigger.x }}"
            },
        },
    ],
    "edges": [{"id": "e0", "source": "start", "target": "show"}],
}
_, issues = validate(document, catalog=CATALOG, accounts={})
print(json.dumps([[issue.code, issue.message, list(issue.path)] for issue in issues]))
"""


def _issues_in_a_process(hash_seed: str) -> list[list[object]]:
    environment = os.environ | {"PYTHONHASHSEED": hash_seed}
    result = subprocess.run(
        [sys.executable, "-c", CHECK],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    issues: list[list[object]] = json.loads(result.stdout)
    return issues


def test_the_same_graph_gives_the_same_issues_in_the_same_order_in_any_process() -> None:
    runs = [_issues_in_a_process(seed) for seed in ("1", "2", "3", "4", "random")]
    assert all(run == runs[0] for run in runs)
    assert [code for code, _, _ in runs[0]] == [
        "loop_variable_outside_loop",
        "loop_variable_outside_loop",
        "unknown_node_reference",
        "unknown_node_reference",
        "self_reference",
        "unknown_node_reference",
    ]
