"""A graph of more than 200 nodes without positions (made by code, not drawn) is laid out
in ranks when it opens, by the linear-time layout that stands in for dagre at that size."""

from __future__ import annotations

import re
from itertools import pairwise

from playwright.async_api import Page, expect

from tests.builder.stack import Stack

CHAINS, STEPS = 10, 24


def chains_graph() -> dict[str, object]:
    nodes: list[dict[str, object]] = [{"id": "start", "type": "trigger.manual"}]
    edges: list[dict[str, str]] = []
    for chain in range(CHAINS):
        for step in range(STEPS):
            nodes.append(
                {"id": f"t_{chain}_{step}", "type": "transform", "parameters": {"value": step}}
            )
            source = "start" if step == 0 else f"t_{chain}_{step - 1}"
            edges.append({"source": source, "target": f"t_{chain}_{step}"})
    return {"nodes": nodes, "edges": edges}


async def test_a_big_graph_without_positions_opens_laid_out_in_ranks(
    signed_in: Page, stack: Stack
) -> None:
    page = signed_in
    await page.goto(f"/ui/workflows/{await stack.create_workflow('chains', chains_graph())}")
    await expect(page.get_by_role("status").filter(has_text=re.compile("^Valid$"))).to_be_visible()
    boxes: dict[str, list[float]] = await page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll('.react-flow__node')].map(
            (node) => { const m = new DOMMatrix(getComputedStyle(node).transform);
                        return [node.dataset.id, [m.e, m.f, node.offsetHeight]]; }))"""
    )
    assert len(boxes) == 1 + CHAINS * STEPS
    # Each step one rank to the right of the one before it.
    for chain in range(CHAINS):
        xs = [boxes[f"t_{chain}_{step}"][0] for step in range(STEPS)]
        assert boxes["start"][0] < xs[0]
        assert xs == sorted(xs)
        assert len(set(xs)) == STEPS
    # The nodes of a rank do not overlap, and the trigger sits level with its children.
    for step in range(STEPS):
        column = sorted(boxes[f"t_{chain}_{step}"][1:] for chain in range(CHAINS))
        for (top, height), (below, _) in pairwise(column):
            assert top + height <= below
    first = [boxes[f"t_{chain}_0"][1] for chain in range(CHAINS)]
    assert min(first) < boxes["start"][1] < max(first)
