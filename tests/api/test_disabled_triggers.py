"""A disabled trigger starts no run; a workflow whose triggers are all disabled is refused."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then

ECHO = {"id": "echo", "type": "transform", "parameters": {"value": "{{ trigger }}"}}


def with_disabled_manual_trigger() -> dict[str, Any]:
    document = manual_then(ECHO)
    document["nodes"][0]["disabled"] = True
    document["nodes"].append({"id": "hook", "type": "trigger.webhook"})
    document["edges"].append({"source": "hook", "target": "echo"})
    return document


async def test_a_disabled_manual_trigger_starts_no_run(api: ApiHarness) -> None:
    workflow_id = await create_workflow(api.client, with_disabled_manual_trigger())
    response = await api.client.post(f"/workflows/{workflow_id}/runs", json={"input": {}})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["type"] == "conflict"
    assert "'start' is disabled" in error["message"]


async def test_a_workflow_whose_only_trigger_is_disabled_is_refused_when_saved(
    api: ApiHarness,
) -> None:
    document = manual_then(ECHO)
    document["nodes"][0]["disabled"] = True
    response = await api.client.post("/workflows", json={"name": "off", "graph": document})
    assert response.status_code == 422
    [detail] = response.json()["error"]["details"]
    assert (detail["code"], detail["node_id"]) == ("no_enabled_trigger", "start")
