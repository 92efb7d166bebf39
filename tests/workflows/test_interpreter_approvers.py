"""Who may decide an approval: `approvers` are templates, rendered when the approval starts."""

from __future__ import annotations

from typing import Any

import pytest
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from app.catalog import CATALOG
from tests.utils.compiling import GraphInvalidError, compile_workflow
from tests.workflows.harness import (
    graph,
    node,
    start,
    state_of,
    value,
    wait_until_continued,
    wait_until_waiting,
)
from tests.workflows.test_interpreter_continue_as_new import SMALL_HISTORY, tick, ticking_loop
from workflows.state import APPROVER_REFUSED, DECIDE_UPDATE, DecisionInput


def reviewed_by(*approvers: str, **fields: Any) -> dict[str, Any]:
    return graph(
        node("review", "approval", {"message": "ok?", "approvers": list(approvers)}, **fields),
        value("publish", "{{ nodes.review.by }} said yes"),
        edges=[("start", "review"), ("review", "publish", "approved")],
    ) | {"settings": {"variables": {"approver": "lee"}}}


async def refused(handle: Any, by: str) -> bool:
    try:
        await handle.execute_update(
            DECIDE_UPDATE, DecisionInput(approved=True, by=by, verified=True)
        )
    except WorkflowUpdateFailedError:
        return True
    return False


async def test_approvers_are_rendered_from_the_trigger_and_variables(
    client: Client, task_queue: str
) -> None:
    document = reviewed_by("{{ trigger.manager }}", "{{ vars.approver }}")
    handle = await start(client, task_queue, document, {"manager": "ann@example.com"})
    state = await wait_until_waiting(handle, "review")
    assert state.waiting_for[0].approvers == ["ann@example.com", "lee"]
    assert await refused(handle, "{{ trigger.manager }}")
    assert await refused(handle, "intern")
    assert (await state_of(handle)).nodes["review"].status == "waiting"
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(approved=True, by="ann@example.com", verified=True)
    )
    assert (await handle.result()).output == {"publish": "ann@example.com said yes"}


async def test_an_approver_rendered_from_a_number_is_its_text(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, reviewed_by("{{ trigger.manager }}"), {"manager": 7})
    state = await wait_until_waiting(handle, "review")
    assert state.waiting_for[0].approvers == ["7"]
    await handle.execute_update(DECIDE_UPDATE, DecisionInput(approved=False, by="7", verified=True))
    await handle.result()


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ({"manager": ""}, "approvers[0]: String should have at least 1 character"),
        # A missing value renders as it would inside a longer text: as no text at all; the
        # error names the template that gave null.
        (
            {},
            "approvers[0]: String should have at least 1 character "
            "(approvers[0] is '{{ trigger.manager }}', which gave null)",
        ),
    ],
)
async def test_an_approver_that_renders_to_no_name_fails_the_node(
    client: Client, task_queue: str, payload: dict[str, Any], problem: str
) -> None:
    document = reviewed_by("{{ trigger.manager }}", on_error="continue")
    final = await (await start(client, task_queue, document, payload)).result()
    error = final.nodes["review"].error
    assert error is not None
    assert (error.type, error.message) == ("InvalidParameters", problem)
    assert final.waiting_for == []


@pytest.mark.parametrize(
    ("approver", "code"),
    [
        ("{{ nodes.nope }}", "unknown_node_reference"),
        ("{{ trigger.manager", "expression_syntax"),
        ("{{ item }}", "loop_variable_outside_loop"),
    ],
)
def test_approver_templates_are_checked_like_any_other(approver: str, code: str) -> None:
    with pytest.raises(GraphInvalidError) as invalid:
        compile_workflow(reviewed_by(approver), catalog=CATALOG)
    [issue] = invalid.value.issues
    assert issue.code == code
    assert issue.path == ("nodes", 1, "parameters", "approvers", 0)


async def test_approvers_rendered_at_the_start_are_kept_across_continue_as_new(
    dev_client: Client, task_queue: str
) -> None:
    document = ticking_loop()
    document["nodes"] += [
        node("review", "approval", {"message": "ok?", "approvers": ["{{ vars.approver }}"]}),
        # Starts after `review` has rendered its approvers; a re-render would read this.
        node("zchange", "set", {"values": {"approver": "mallory"}}),
    ]
    document["edges"] += [
        {"source": "start", "target": "review"},
        {"source": "start", "target": "zchange"},
    ]
    document["settings"] = {"variables": {"approver": "lee"}}
    handle = await start(
        dev_client, task_queue, document, {"items": list(range(10))}, limits=SMALL_HISTORY
    )
    await wait_until_waiting(handle, "review")
    await tick(handle, 10)
    await wait_until_continued(dev_client, handle)
    later = await wait_until_waiting(handle, "review")
    assert later.variables["approver"] == "mallory"
    assert [wait.approvers for wait in later.waiting_for if wait.node_id == "review"] == [["lee"]]
    assert await refused(handle, "mallory")
    await handle.execute_update(
        DECIDE_UPDATE, DecisionInput(approved=True, by="lee", verified=True)
    )
    assert (await handle.result()).nodes["review"].output["by"] == "lee"


async def test_a_name_alone_does_not_decide_an_approval_that_names_its_approvers(
    client: Client, task_queue: str
) -> None:
    handle = await start(client, task_queue, reviewed_by("ann@example.com"), {})
    await wait_until_waiting(handle, "review")
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await handle.execute_update(
            DECIDE_UPDATE, DecisionInput(approved=True, by="ann@example.com", via="key")
        )
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == APPROVER_REFUSED
    assert "approval 'review' names its approvers" in cause.message
    assert (await state_of(handle)).nodes["review"].status == "waiting"
    verified = DecisionInput(
        approved=True, by="ann@example.com", verified=True, via="link", key_id="key_1",
        link_id="apl_1",
    )  # fmt: skip
    await handle.execute_update(DECIDE_UPDATE, verified)
    output = (await handle.result()).nodes["review"].output
    assert {key: output[key] for key in ("by", "verified", "via", "key_id", "link_id")} == {
        "by": "ann@example.com",
        "verified": True,
        "via": "link",
        "key_id": "key_1",
        "link_id": "apl_1",
    }
