"""Properties over random valid graphs: they compile, deterministically, and a broken rule is
reported on the node that breaks it."""

from __future__ import annotations

import copy
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalog import CATALOG
from app.language.validation import validate
from tests.utils.compiling import compile_workflow
from tests.utils.graphs import sized_graph
from tests.utils.properties import examples

graphs = st.builds(sized_graph, st.integers(2, 60), st.integers(0, 10_000))
PROPERTY_SETTINGS = settings(max_examples=examples(60), deadline=None)


@PROPERTY_SETTINGS
@given(graphs)
def test_every_generated_graph_is_valid(document: dict[str, Any]) -> None:
    checked, issues = validate(document, accounts={}, catalog=CATALOG)
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
        compile_workflow(shuffled, catalog=CATALOG).canonical_json()
        == compile_workflow(document, catalog=CATALOG).canonical_json()
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


def _duplicate_id(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    index, _ = _victim(document, pick)
    taken = document["nodes"][pick.randrange(index)]["id"]
    document["nodes"][index]["id"] = taken
    return "duplicate_node_id", taken


def _dangling_edge(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    _, node_id = _victim(document, pick)
    document["edges"].append({"id": "dangling", "source": node_id, "target": "ghost"})
    return "dangling_edge", node_id


def _duplicate_edge(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    twin = dict(pick.choice(document["edges"]), id="twin")
    document["edges"].append(twin)
    return "duplicate_edge", twin["source"]


def _bad_source_handle(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    _, node_id = _victim(document, pick)
    tail = document["nodes"][-1]["id"]
    document["edges"].append(
        {"id": "odd", "source": node_id, "target": tail, "sourceHandle": "sideways"}
    )
    return "unknown_handle", node_id


def _cycle(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    # The tail leads back to the first step: every generated node lies between them, and
    # the check walks node ids in order, so the cycle is reported from the first step.
    first = next(edge["target"] for edge in document["edges"] if edge["source"] == "start")
    tail = document["nodes"][-1]["id"]
    document["edges"].append({"id": "back", "source": tail, "target": first})
    return "cycle", first


def _no_trigger(document: dict[str, Any], pick: random.Random) -> tuple[str, None]:
    document["nodes"][0] |= {"type": "transform", "parameters": {"value": "start"}}
    return "missing_trigger", None


def _reads_another_branch(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    """A node on one branch of an if/switch reads the node heading another branch."""
    types = {node["id"]: node["type"] for node in document["nodes"]}
    heads: dict[str, dict[str, str]] = {}
    for edge in document["edges"]:
        if types[edge["source"]] in {"if", "switch"}:
            heads.setdefault(edge["source"], {})[edge["sourceHandle"]] = edge["target"]
    if not heads:
        tail = document["nodes"][-1]["id"]
        document["nodes"] += [
            {"id": "choose", "type": "if", "parameters": {"condition": "true"}},
            {"id": "left", "type": "transform", "parameters": {"value": 1}},
            {"id": "right", "type": "transform", "parameters": {"value": 2}},
        ]
        document["edges"] += [
            {"id": "to_choose", "source": tail, "target": "choose"},
            {"id": "to_left", "source": "choose", "target": "left", "sourceHandle": "true"},
            {"id": "to_right", "source": "choose", "target": "right", "sourceHandle": "false"},
        ]
        heads = {"choose": {"true": "left", "false": "right"}}
    reader, other = pick.sample(sorted(heads[pick.choice(sorted(heads))].values()), 2)
    node = next(node for node in document["nodes"] if node["id"] == reader)
    node |= {"type": "transform", "parameters": {"value": f"{{{{ nodes['{other}'] }}}}"}}
    return "reference_not_upstream", reader


def _bad_parameters(document: dict[str, Any], pick: random.Random) -> tuple[str, str]:
    index, node_id = _victim(document, pick)
    document["nodes"][index] |= {
        "type": "http.request",
        "parameters": {"method": "TELEPORT", "url": "https://example.com"},
    }
    return "invalid_parameter", node_id


MUTATIONS = [
    _unknown_type, _reads_downstream, _island, _bad_template, _duplicate_id, _dangling_edge,
    _duplicate_edge, _bad_source_handle, _cycle, _no_trigger, _reads_another_branch,
    _bad_parameters,
]  # fmt: skip


@settings(max_examples=examples(20 * len(MUTATIONS)), deadline=None)
@given(graphs, st.sampled_from(MUTATIONS), st.randoms(use_true_random=False))
def test_a_broken_rule_is_reported_on_the_node_that_breaks_it(
    document: dict[str, Any], mutation: Any, pick: random.Random
) -> None:
    broken = copy.deepcopy(document)
    code, node_id = mutation(broken, pick)
    checked, issues = validate(broken, accounts={}, catalog=CATALOG)
    assert checked is None
    assert (code, node_id) in {(issue.code, issue.node_id) for issue in issues}, issues
