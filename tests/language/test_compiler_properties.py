"""Properties over random valid graphs: they compile, deterministically, and a broken rule is
reported on the node that breaks it."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.language.compiler import compile_workflow
from app.language.validation import validate
from tests.utils.graphs import sized_graph

graphs = st.builds(sized_graph, st.integers(2, 60), st.integers(0, 10_000))
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


@PROPERTY_SETTINGS
@given(graphs)
def test_every_generated_graph_is_valid(document: dict[str, Any]) -> None:
    checked, issues = validate(document, accounts={})
    assert issues == []
    assert checked is not None


@PROPERTY_SETTINGS
@given(graphs, st.randoms(use_true_random=False))
def test_compiling_is_deterministic_whatever_the_order(
    document: dict[str, Any], shuffle: random.Random
) -> None:
    shuffled = copy.deepcopy(document)
    shuffle.shuffle(shuffled["nodes"])
    shuffle.shuffle(shuffled["edges"])
    assert (
        compile_workflow(shuffled).canonical_json() == compile_workflow(document).canonical_json()
    )


def _victim(document: dict[str, Any], pick: random.Random) -> tuple[int, str]:
    """A node whose type can change without changing the graph's shape."""
    plain = [
        index
        for index, node in enumerate(document["nodes"])
        if node["type"] in {"transform", "http.request", "set"}
    ]
    index = pick.choice(plain)
    return index, document["nodes"][index]["id"]


def _unknown_type(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    index, node_id = _victim(document, pick)
    document["nodes"][index]["type"] = "no.such.node"
    return "unknown_node_type", node_id


def _reads_downstream(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    index, node_id = _victim(document, pick)
    downstream = document["nodes"][-1]["id"]
    if downstream == node_id:
        document["nodes"][index]["parameters"] = {"value": "{{ nodes['missing'] }}"}
        document["nodes"][index]["type"] = "transform"
        return "unknown_node_reference", node_id
    document["nodes"][index]["type"] = "transform"
    document["nodes"][index]["parameters"] = {"value": f"{{{{ nodes['{downstream}'] }}}}"}
    return "reference_not_upstream", node_id


def _island(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    document["nodes"].append({"id": "island", "type": "transform"})
    return "unreachable_node", "island"


def _bad_template(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    index, node_id = _victim(document, pick)
    document["nodes"][index]["type"] = "transform"
    document["nodes"][index]["parameters"] = {"value": "{{ 1 + }}"}
    return "expression_syntax", node_id


MUTATIONS = [_unknown_type, _reads_downstream, _island, _bad_template]


@PROPERTY_SETTINGS
@given(graphs, st.sampled_from(MUTATIONS), st.randoms(use_true_random=False))
def test_a_broken_rule_is_reported_on_the_node_that_breaks_it(
    document: dict[str, Any], mutation: Any, pick: random.Random
) -> None:
    broken = copy.deepcopy(document)
    code, node_id = mutation(broken, pick)
    checked, issues = validate(broken, accounts={})
    assert checked is None
    assert (code, node_id) in {(issue.code, issue.node_id) for issue in issues}, issues
