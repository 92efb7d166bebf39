"""Who approves: a key bound to a person decides as that person, an approval that names its
approvers takes no one else, and the run records who decided, how and when. Each refusal
here was accepted when `by` was free text."""

from __future__ import annotations

from typing import Any

from tests.conftest import ApiHarness
from tests.utils.api import (
    as_key,
    create_workflow,
    manual_then,
    person_key,
    run_state,
    start_run,
    wait_for_end,
    wait_until_waiting,
)


def reviewed_by(*approvers: str) -> dict[str, Any]:
    return manual_then(
        {"id": "review", "type": "approval",
         "parameters": {"message": "ok?", "approvers": list(approvers)}}
    )  # fmt: skip


async def waiting_run(api: ApiHarness, *approvers: str) -> str:
    run_id = await start_run(api.client, await create_workflow(api.client, reviewed_by(*approvers)))
    await wait_until_waiting(api.client, run_id, "review")
    return run_id


async def still_waiting(api: ApiHarness, run_id: str) -> bool:
    state = await run_state(api.client, run_id)
    waiting: bool = state["nodes"]["review"]["status"] == "waiting"
    await api.client.post(f"/runs/{run_id}/cancel")
    return waiting


async def test_a_key_made_for_a_person_shows_them(api: ApiHarness) -> None:
    key_id, key = await person_key(api.client, "ann@example.com")
    listed = (await api.client.get("/api-keys")).json()["data"]
    assert {key_["id"]: key_["person"] for key_ in listed}[key_id] == "ann@example.com"
    async with as_key(api, key) as ann:
        current = (await ann.get("/api-keys/current")).json()
    assert (current["id"], current["person"], current["scope"]) == (
        key_id, "ann@example.com", "write"
    )  # fmt: skip


async def test_a_person_is_checked_for_shape_when_the_key_is_made(api: ApiHarness) -> None:
    answer = await api.client.post("/api-keys", json={"name": "k", "person": " ann "})
    assert answer.status_code == 422
    [detail] = answer.json()["error"]["details"]
    assert (detail["path"], detail["code"]) == (["body", "person"], "wrong_form")


async def test_a_person_key_decides_as_its_person_and_the_run_records_it(
    api: ApiHarness,
) -> None:
    run_id = await waiting_run(api, "ann@example.com")
    key_id, key = await person_key(api.client, "ann@example.com")
    async with as_key(api, key) as ann:
        decided = await ann.post(f"/runs/{run_id}/decisions", json={"approved": True})
    assert decided.status_code == 200, decided.text
    output = (await wait_for_end(api.client, run_id))["nodes"]["review"]["output"]
    assert output["decided_at"]
    assert {name: output[name] for name in ("decision", "by", "verified", "via", "key_id")} == {
        "decision": "approved",
        "by": "ann@example.com",
        "verified": True,
        "via": "key",
        "key_id": key_id,
    }


async def test_a_person_key_cannot_decide_as_someone_else(api: ApiHarness) -> None:
    run_id = await waiting_run(api, "ann", "bob")
    _, key = await person_key(api.client, "ann")
    async with as_key(api, key) as ann:
        refused = await ann.post(f"/runs/{run_id}/decisions", json={"approved": True, "by": "bob"})
    assert refused.status_code == 403
    assert (
        "belongs to 'ann': it decides as 'ann', not as 'bob'"
        in (refused.json()["error"]["message"])
    )
    assert await still_waiting(api, run_id)


async def test_a_name_alone_does_not_decide_an_approval_that_names_its_approvers(
    api: ApiHarness,
) -> None:
    run_id = await waiting_run(api, "ann")
    refused = await api.client.post(
        f"/runs/{run_id}/decisions", json={"approved": True, "by": "ann"}
    )
    assert refused.status_code == 403
    message = refused.json()["error"]["message"]
    assert "approval 'review' names its approvers" in message
    assert await still_waiting(api, run_id)


async def test_a_person_not_among_the_approvers_is_refused_naming_the_node(
    api: ApiHarness,
) -> None:
    run_id = await waiting_run(api, "ann")
    _, key = await person_key(api.client, "carol")
    async with as_key(api, key) as carol:
        refused = await carol.post(f"/runs/{run_id}/decisions", json={"approved": False})
    assert refused.status_code == 403
    assert (
        "'carol' is not among the approvers of approval 'review'"
        in (refused.json()["error"]["message"])
    )
    assert await still_waiting(api, run_id)


async def test_a_key_of_no_one_says_who_and_is_recorded_unverified(api: ApiHarness) -> None:
    run_id = await waiting_run(api)
    unsaid = await api.client.post(f"/runs/{run_id}/decisions", json={"approved": True})
    assert unsaid.status_code == 422
    assert unsaid.json()["error"]["details"][0]["path"] == ["body", "by"]
    said = await api.client.post(f"/runs/{run_id}/decisions", json={"approved": True, "by": "ops"})
    assert said.status_code == 200, said.text
    admin_key_id = (await api.client.get("/api-keys/current")).json()["id"]
    output = (await wait_for_end(api.client, run_id))["nodes"]["review"]["output"]
    assert (output["by"], output["verified"], output["via"], output["key_id"]) == (
        "ops", False, "key", admin_key_id
    )  # fmt: skip


async def test_a_decision_cannot_say_how_it_was_made(api: ApiHarness) -> None:
    run_id = await waiting_run(api)
    forged = await api.client.post(
        f"/runs/{run_id}/decisions",
        json={"approved": True, "by": "ann", "verified": True, "via": "link"},
    )
    assert forged.status_code == 422
    assert await still_waiting(api, run_id)


async def test_approvers_with_spaces_around_them_are_refused_when_saved(api: ApiHarness) -> None:
    answer = await api.client.post(
        "/workflows", json={"name": "w", "graph": reviewed_by("ann", " bob")}
    )
    assert answer.status_code == 422
    [detail] = answer.json()["error"]["details"]
    assert detail["node_id"] == "review"
    assert detail["path"][-2:] == ["approvers", 1]
