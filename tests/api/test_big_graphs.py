"""A big graph never stalls the API: what is cheap to refuse is refused before the expensive
work, and checking and compiling run off the event loop."""

from __future__ import annotations

import asyncio
from typing import Any

from app.services.heavy_work import GRAPH_CHECKS
from app.services.payload_limits import MAX_PLAN_BYTES
from tests.conftest import ApiHarness
from tests.utils.api import manual_then


def chain_of(nodes: int) -> dict[str, Any]:
    """A valid chain of small `transform` nodes: seconds to check, parameters well under the
    plan limit (its plan is over it, which only compiling it shows)."""
    return manual_then(
        *(
            {"id": f"n{index}", "type": "transform", "parameters": {"value": "{{ trigger.x }}"}}
            for index in range(nodes)
        )
    )


async def test_parameters_over_the_plan_limit_are_refused_naming_them(api: ApiHarness) -> None:
    half = "x" * (MAX_PLAN_BYTES // 2)
    graph = manual_then(
        {"id": "a", "type": "transform", "parameters": {"value": half}},
        {"id": "b", "type": "transform", "parameters": {"value": half}},
    )
    response = await api.client.post("/workflows", json={"name": "big", "graph": graph})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert detail["code"] == "too_large"
    assert detail["path"] == ["graph", "nodes"]
    assert "the nodes' parameters are" in detail["message"]


async def test_health_answers_while_a_big_graph_is_being_checked(api: ApiHarness) -> None:
    checking = asyncio.create_task(
        api.client.post("/workflows/validate", json={"graph": chain_of(9_000)}, timeout=300)
    )
    while GRAPH_CHECKS.in_progress == 0:
        assert not checking.done(), checking.result().text
        await asyncio.sleep(0.01)
    health = await api.client.get("/healthz")
    assert health.status_code == 200
    assert not checking.done()  # answered while the check was still going on
    validated = await checking
    assert validated.status_code == 200
    assert validated.json()["errors"][0]["code"] == "too_large"
