"""Issue 15, point 10: an operator key creates, lists, reads and deletes organizations through
the API; an organization's keys get 403 there, and an operator key opens nothing inside an
organization. A deleted organization's keys stop working at once. SQLite and PostgreSQL,
over real HTTP."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from temporalio.client import WorkflowExecutionStatus

from app.db.engine import Database
from app.store.operator import create_operator_key, list_operator_keys, revoke_operator_key
from tests.utils.api import as_key, create_workflow, manual_then, start_run, wait_until_waiting
from tests.utils.api_servers import ApiHarness


async def operator_key(api: ApiHarness) -> str:
    database = Database(api.settings.resolved_database_url)
    try:
        async with database.session() as session:
            issued = await create_operator_key(
                session, name="ops", secret_key=api.settings.secret_key
            )
        return issued.secret
    finally:
        await database.dispose()


async def new_organization(operator: httpx.AsyncClient, name: str) -> dict[str, Any]:
    response = await operator.post("/operator/organizations", json={"name": name})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_an_operator_creates_an_organization_whose_first_key_is_its_admin(
    api: ApiHarness,
) -> None:
    async with as_key(api, await operator_key(api)) as operator:
        created = await new_organization(operator, "Acme")
        assert created["key"].startswith("fh_")
        async with as_key(api, created["key"]) as acme:
            own = await acme.get("/organization")
            assert own.json()["id"] == created["id"]
            assert own.json()["name"] == "Acme"
            keys = (await acme.get("/api-keys")).json()["data"]
            assert [(key["id"], key["scope"]) for key in keys] == [(created["key_id"], "admin")]
            # Shown once: never in a later answer.
            assert created["key"] not in (await operator.get("/operator/organizations")).text
            assert await create_workflow(acme, manual_then())

        read = await operator.get(f"/operator/organizations/{created['id']}")
        assert read.status_code == 200
        assert read.json() == {key: created[key] for key in read.json()}


PAGE = 200
OVERLAP = 20


def in_listing_order(rows: list[dict[str, Any]]) -> bool:
    keys = [(datetime.fromisoformat(row["created_at"]), row["id"]) for row in rows]
    return keys == sorted(keys)


async def every_organization(operator: httpx.AsyncClient) -> list[str]:
    """The ids of every live organization, walking the pages oldest first.

    Other tests create and delete organizations on the same database meanwhile: a deletion
    before the offset moves later rows one page back, so each page starts a few rows before
    the last one ended (a row seen twice is kept once) and none is skipped."""
    ids: dict[str, None] = {}
    offset = 0
    for _ in range(1000):
        page = await operator.get(
            "/operator/organizations", params={"limit": PAGE, "offset": offset}
        )
        assert page.status_code == 200, page.text
        rows: list[dict[str, Any]] = page.json()["data"]
        assert in_listing_order(rows), rows
        ids.update(dict.fromkeys(row["id"] for row in rows))
        if len(rows) < PAGE:
            return list(ids)
        offset += PAGE - OVERLAP
    raise AssertionError("the listing never ended")


async def test_organizations_are_listed_by_page_and_a_deleted_one_is_gone(
    api: ApiHarness,
) -> None:
    async with as_key(api, await operator_key(api)) as operator:
        first = await new_organization(operator, "First")
        second = await new_organization(operator, "Second")
        ids = await every_organization(operator)
        assert ids.index(first["id"]) < ids.index(second["id"])
        assert api.organization_id in ids
        two = (await operator.get("/operator/organizations", params={"limit": 2})).json()
        assert len(two["data"]) == 2
        assert two["count"] >= 3
        page = await operator.get("/operator/organizations", params={"limit": 1, "offset": 1})
        assert len(page.json()["data"]) == 1

        assert (await operator.delete(f"/operator/organizations/{first['id']}")).status_code == 204
        after = await every_organization(operator)
        assert first["id"] not in after
        assert second["id"] in after
        gone = await operator.get(f"/operator/organizations/{first['id']}")
        assert gone.status_code == 404
        again = await operator.delete(f"/operator/organizations/{first['id']}")
        assert again.status_code == 404


async def test_a_deleted_organizations_keys_stop_working_at_once(api: ApiHarness) -> None:
    async with as_key(api, await operator_key(api)) as operator:
        created = await new_organization(operator, "Leaving")
        async with as_key(api, created["key"]) as leaving:
            extra = await leaving.post("/api-keys", json={"name": "ci", "scope": "write"})
            assert extra.status_code == 201, extra.text
            assert (await leaving.get("/workflows")).status_code == 200
            deleted = await operator.delete(f"/operator/organizations/{created['id']}")
            assert deleted.status_code == 204
            assert (await leaving.get("/workflows")).status_code == 401
            async with as_key(api, extra.json()["key"]) as ci:
                assert (await ci.get("/workflows")).status_code == 401


async def test_an_organization_with_an_active_workflow_is_not_deleted(api: ApiHarness) -> None:
    async with as_key(api, await operator_key(api)) as operator:
        created = await new_organization(operator, "Busy")
        async with as_key(api, created["key"]) as busy:
            workflow_id = await create_workflow(busy, manual_then())
            assert (await busy.post(f"/workflows/{workflow_id}/activate")).status_code == 200
            refused = await operator.delete(f"/operator/organizations/{created['id']}")
            assert refused.status_code == 409
            assert "1 active workflow: deactivate them first" in refused.text
            # Nothing was half done: the organization and its key still work.
            assert (await busy.get("/workflows")).status_code == 200
            assert (await busy.post(f"/workflows/{workflow_id}/deactivate")).status_code == 200
        assert (
            await operator.delete(f"/operator/organizations/{created['id']}")
        ).status_code == 204


async def test_an_organizations_key_is_403_on_operator_routes(api: ApiHarness) -> None:
    for method, path in [
        ("GET", "/operator/organizations"),
        ("POST", "/operator/organizations"),
        ("GET", f"/operator/organizations/{api.organization_id}"),
        ("DELETE", f"/operator/organizations/{api.organization_id}"),
    ]:
        response = await api.client.request(method, path, json={"name": "x"})
        assert response.status_code == 403, (method, path)
        assert "needs an operator key" in response.json()["error"]["message"]
    assert (await api.client.get("/organization")).status_code == 200


async def test_an_operator_key_opens_nothing_inside_an_organization(api: ApiHarness) -> None:
    async with as_key(api, await operator_key(api)) as operator:
        for path in ("/workflows", "/organization", "/accounts", "/api-keys", "/runs"):
            response = await operator.get(path)
            assert response.status_code == 401, path


async def test_without_a_valid_operator_key_it_is_401_and_bad_input_is_422(
    api: ApiHarness,
) -> None:
    async with as_key(api, "fho_" + "x" * 43) as forged:
        assert (await forged.get("/operator/organizations")).status_code == 401
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        assert (await anonymous.get("/operator/organizations")).status_code == 401
    async with as_key(api, await operator_key(api)) as operator:
        for body, where in [
            ({}, ["body", "name"]),
            ({"name": ""}, ["body", "name"]),
            ({"name": "a" * 201}, ["body", "name"]),
            ({"name": "ok", "extra": 1}, ["body", "extra"]),
        ]:
            response = await operator.post("/operator/organizations", json=body)
            assert response.status_code == 422, body
            assert response.json()["error"]["details"][0]["path"] == where
        too_long = await operator.get("/operator/organizations/" + "o" * 41)
        assert too_long.status_code == 422
        assert (await operator.get("/operator/organizations/org_none")).status_code == 404


async def test_a_deleted_organizations_approval_links_decide_nothing(api: ApiHarness) -> None:
    async with as_key(api, await operator_key(api)) as operator:
        created = await new_organization(operator, "Approving")
        async with as_key(api, created["key"]) as approving:
            review = {"id": "review", "type": "approval", "parameters": {"message": "ok?"}}
            workflow_id = await create_workflow(approving, manual_then(review))
            run_id = await start_run(approving, workflow_id)
            await wait_until_waiting(approving, run_id, "review")
            link = await approving.post(
                f"/runs/{run_id}/approval-links", json={"approver": "ann@example.com"}
            )
            assert link.status_code == 201, link.text
        deleted = await operator.delete(f"/operator/organizations/{created['id']}")
        assert deleted.status_code == 204
    async with httpx.AsyncClient(base_url=api.url) as anonymous:
        decided = await anonymous.post(
            "/approval-links/decision", json={"token": link.json()["token"], "approved": True}
        )
    assert decided.status_code == 409
    # The run still waits: nothing decided it (runs in flight are the operator's to end).
    handle = api.temporal.get_workflow_handle(run_id)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await handle.terminate("test over")


async def test_a_revoked_operator_key_opens_nothing(api: ApiHarness) -> None:
    secret = await operator_key(api)
    database = Database(api.settings.resolved_database_url)
    try:
        async with database.session() as session:
            [key] = [
                key
                for key in await list_operator_keys(session)
                if secret.startswith(key.prefix) and key.revoked_at is None
            ]
            await revoke_operator_key(session, key_id=key.id)
    finally:
        await database.dispose()
    async with as_key(api, secret) as revoked:
        response = await revoked.get("/operator/organizations")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid or revoked operator key"
