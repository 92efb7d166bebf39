"""Signed, single-use approval links: a write key mints one for an approver of a waiting
approval, and the approver decides with it alone, once, before it expires. An altered,
expired or spent link decides nothing, and the run records the link and the key behind it."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import httpx

from app.db.engine import Database
from app.services.approval_links import TOKEN_PREFIX, _Claims, _token
from app.store.approval_links import create_link
from tests.api.test_approvers import still_waiting, waiting_run
from tests.conftest import ApiHarness
from tests.utils.api import as_key, run_state, wait_for_end
from tests.utils.servers import http_client


async def minted(api: ApiHarness, run_id: str, approver: str, **body: object) -> dict[str, str]:
    answer = await api.client.post(
        f"/runs/{run_id}/approval-links", json={"approver": approver, **body}
    )
    assert answer.status_code == 201, answer.text
    link: dict[str, str] = answer.json()
    return link


async def use(api: ApiHarness, token: str, approved: bool = True) -> httpx.Response:
    """A decision with the link alone: no API key."""
    async with http_client(base_url=api.url, timeout=30) as nobody:
        return await nobody.post(
            "/approval-links/decision", json={"token": token, "approved": approved}
        )


async def test_a_link_decides_as_its_approver_without_an_api_key(api: ApiHarness) -> None:
    run_id = await waiting_run(api, "ann@example.com", "bob@example.com")
    link = await minted(api, run_id, "bob@example.com")
    assert (link["run_id"], link["node_id"], link["approver"]) == (
        run_id, "review", "bob@example.com"
    )  # fmt: skip
    decided = await use(api, link["token"], approved=False)
    assert decided.status_code == 200, decided.text
    assert decided.json() == {"run_id": run_id, "node_id": "review"}
    final = await wait_for_end(api.client, run_id)
    assert final["nodes"]["review"]["output"]["decision"] == "rejected"
    minter = (await api.client.get("/api-keys/current")).json()["id"]
    output = (await run_state(api.client, run_id))["nodes"]["review"]["output"]
    assert {name: output[name] for name in ("by", "verified", "via", "link_id", "key_id")} == {
        "by": "bob@example.com",
        "verified": True,
        "via": "link",
        "link_id": link["id"],
        "key_id": minter,
    }


async def test_a_link_is_used_once_even_by_two_posts_at_the_same_moment(
    api: ApiHarness,
) -> None:
    run_id = await waiting_run(api, "ann")
    link = await minted(api, run_id, "ann")
    answers = await asyncio.gather(use(api, link["token"]), use(api, link["token"]))
    assert sorted(answer.status_code for answer in answers) == [200, 409]
    again = await use(api, link["token"])
    assert again.status_code == 409
    assert again.json()["error"]["message"] == "this approval link has been used already"


def _altered(token: str, **changes: object) -> str:
    """The token with its claims changed and its MAC kept."""
    payload, mac = token.removeprefix(TOKEN_PREFIX).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{TOKEN_PREFIX}{forged}.{mac}"


async def test_an_altered_link_decides_nothing(api: ApiHarness) -> None:
    run_id = await waiting_run(api, "ann", "bob")
    token = (await minted(api, run_id, "bob"))["token"]
    far = int((datetime.now(UTC) + timedelta(days=300)).timestamp())
    payload, mac = token.split(".")
    for forged in (
        _altered(token, a="ann"),
        _altered(token, e=far),
        f"{payload}.{mac[:-2]}{'AA' if not mac.endswith('AA') else 'BB'}",
        token + "x",
        "fh_not-a-link",
    ):
        answer = await use(api, forged)
        assert answer.status_code == 401, forged
        assert answer.json()["error"]["message"] == "invalid approval link"
        assert forged not in answer.text
    assert await still_waiting(api, run_id)


async def test_an_expired_link_decides_nothing(api: ApiHarness) -> None:
    run_id = await waiting_run(api, "ann")
    key_id = (await api.client.get("/api-keys/current")).json()["id"]
    expired = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    database = Database(api.settings.resolved_database_url)
    try:
        async with database.session() as session:
            link = await create_link(
                session, organization_id=api.organization_id, run_id=run_id, node_id="review",
                approver="ann", minted_by_key_id=key_id, expires_at=expired,
            )  # fmt: skip
    finally:
        await database.dispose()
    claims = _Claims(link.id, api.organization_id, run_id, "review", "ann", expired)
    answer = await use(api, _token(claims, secret_key=api.settings.secret_key))
    assert answer.status_code == 403
    assert "this approval link expired at" in answer.json()["error"]["message"]
    assert await still_waiting(api, run_id)


async def test_a_link_is_minted_only_for_an_approver_of_a_waiting_approval(
    api: ApiHarness,
) -> None:
    run_id = await waiting_run(api, "ann")
    stranger = await api.client.post(f"/runs/{run_id}/approval-links", json={"approver": "eve"})
    assert stranger.status_code == 422
    assert stranger.json()["error"]["details"][0]["path"] == ["body", "approver"]
    nothing = await api.client.post(
        f"/runs/{run_id}/approval-links", json={"approver": "ann", "node_id": "start"}
    )
    assert nothing.status_code == 409
    read_key = (await api.client.post("/api-keys", json={"name": "r", "scope": "read"})).json()
    async with as_key(api, read_key["key"]) as reader:
        refused = await reader.post(f"/runs/{run_id}/approval-links", json={"approver": "ann"})
    assert refused.status_code == 403
    assert await still_waiting(api, run_id)


async def test_a_link_whose_decision_the_run_refuses_is_not_spent(api: ApiHarness) -> None:
    run_id = await waiting_run(api, "ann", "bob")
    ann, bob = await minted(api, run_id, "ann"), await minted(api, run_id, "bob")
    assert (await use(api, ann["token"])).status_code == 200
    late = await use(api, bob["token"])
    assert late.status_code == 409
    assert "has been used" not in late.json()["error"]["message"]


async def test_the_token_reaches_neither_the_run_nor_its_history(api: ApiHarness) -> None:
    run_id = await waiting_run(api, "ann")
    token = (await minted(api, run_id, "ann"))["token"]
    assert (await use(api, token)).status_code == 200
    await wait_for_end(api.client, run_id)
    handle = api.temporal.get_workflow_handle(run_id)
    history = (await handle.fetch_history()).to_json()
    secret = token.split(".")[1]
    assert secret not in history
    assert secret not in (await api.client.get(f"/runs/{run_id}")).text
