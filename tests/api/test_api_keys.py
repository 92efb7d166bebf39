"""API keys: shown once, stored hashed, named, listable, revocable, optionally read-only."""

from __future__ import annotations

import httpx

from tests.conftest import ApiHarness
from tests.utils.servers import http_client


def as_key(api: ApiHarness, key: str) -> httpx.AsyncClient:
    return http_client(base_url=api.url, headers={"Authorization": f"Bearer {key}"})


async def test_a_new_key_is_shown_once_and_authenticates(api: ApiHarness) -> None:
    created = await api.client.post("/api-keys", json={"name": "ci"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["key"].startswith("fh_")
    assert body["prefix"] == body["key"][:10]
    async with as_key(api, body["key"]) as client:
        assert (await client.get("/organization")).json()["id"] == api.organization_id
    listed = (await api.client.get("/api-keys")).json()
    assert "key" not in listed["data"][0]
    assert body["key"] not in (await api.client.get(f"/api-keys/{body['id']}")).text


async def test_keys_are_listed_by_name_with_their_mode(api: ApiHarness) -> None:
    await api.client.post("/api-keys", json={"name": "reader", "read_only": True})
    listed = (await api.client.get("/api-keys")).json()
    assert listed["count"] == 2
    assert {(key["name"], key["read_only"]) for key in listed["data"]} == {
        ("test key", False),
        ("reader", True),
    }


async def test_a_revoked_key_no_longer_authenticates(api: ApiHarness) -> None:
    created = (await api.client.post("/api-keys", json={"name": "old"})).json()
    revoked = await api.client.delete(f"/api-keys/{created['id']}")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    async with as_key(api, created["key"]) as client:
        response = await client.get("/organization")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid or revoked API key"


async def test_a_read_only_key_reads_but_cannot_write(api: ApiHarness) -> None:
    key = (await api.client.post("/api-keys", json={"name": "r", "read_only": True})).json()["key"]
    async with as_key(api, key) as client:
        assert (await client.get("/workflows")).status_code == 200
        refused = await client.post("/api-keys", json={"name": "escalate"})
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "forbidden"


async def test_a_key_name_is_required(api: ApiHarness) -> None:
    response = await api.client.post("/api-keys", json={"name": ""})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["path"] == ["body", "name"]


async def test_the_organization_can_be_renamed(api: ApiHarness) -> None:
    renamed = await api.client.patch("/organization", json={"name": "Renamed"})
    assert renamed.json()["name"] == "Renamed"
    assert (await api.client.get("/organization")).json()["name"] == "Renamed"
