"""A template that gives null where a value is needed: the node's error names the template,
not only the field, through the API as a person reads it."""

from __future__ import annotations

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, manual_then, start_run, wait_for_end


async def test_an_action_whose_template_gave_null_names_the_template(api: ApiHarness) -> None:
    graph = manual_then(
        {
            "id": "call",
            "type": "http.request",
            "parameters": {"method": "GET", "url": "{{ trigger.address }}"},
        }
    )
    run_id = await start_run(api.client, await create_workflow(api.client, graph), {"adress": "x"})
    final = await wait_for_end(api.client, run_id)
    assert final["status"] == "failed"
    error = final["nodes"]["call"]["error"]
    assert error["type"] == "InvalidParameters"
    assert error["message"].startswith("invalid parameters: url: ")
    assert error["message"].endswith("(url is '{{ trigger.address }}', which gave null)")


async def test_a_control_node_whose_template_gave_null_names_the_template(
    api: ApiHarness,
) -> None:
    graph = manual_then(
        {"id": "pay", "type": "wait_for_event", "parameters": {"event": "{{ trigger.kind }}"}}
    )
    run_id = await start_run(api.client, await create_workflow(api.client, graph), {})
    final = await wait_for_end(api.client, run_id)
    error = final["nodes"]["pay"]["error"]
    assert error["type"] == "InvalidParameters"
    assert error["message"].startswith("event: ")
    assert error["message"].endswith("(event is '{{ trigger.kind }}', which gave null)")


async def test_a_template_that_gave_null_where_null_is_fine_fails_nothing(
    api: ApiHarness,
) -> None:
    graph = manual_then(
        {"id": "keep", "type": "transform", "parameters": {"value": "{{ trigger.missing }}"}}
    )
    run_id = await start_run(api.client, await create_workflow(api.client, graph), {})
    final = await wait_for_end(api.client, run_id)
    assert final["status"] == "succeeded"
    assert final["output"] == {"keep": None}
