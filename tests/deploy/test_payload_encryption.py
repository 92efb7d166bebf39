"""PAYLOAD_ENCRYPTION: nothing a run carries sits in Temporal in the clear, and the codec
endpoint shows it to the Temporal UI's operators, and to no one else."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.api.history.v1 import MarkerRecordedEventAttributes

from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, start_run, wait_for_end
from tests.utils.api_servers import SharedApis, organization_on
from tests.utils.servers import http_client

CODEC_TOKEN = "codec-token-for-the-temporal-ui-0123456789"
MARKER = "plaintext-marker-4d1c"


@pytest.fixture
async def encrypting(api_servers: SharedApis, backend: str) -> Any:
    server = await api_servers.get(
        backend, payload_encryption=True, payload_codec_token=CODEC_TOKEN
    )
    async with organization_on(server) as harness:
        yield harness


async def history_payloads(api: ApiHarness, run_id: str) -> list[Payload]:
    """Every payload of the run's history, as Temporal keeps it, but for search attributes
    (the server must read those to list runs: they hold ids, a version and a status) and a
    local activity marker's `data`, the SDK's own bookkeeping (its sequence number, attempt
    and activity type; the activity's result is in the marker's `result`, encrypted)."""
    history = await api.temporal.get_workflow_handle(run_id).fetch_history()
    found: list[Payload] = []

    def walk(value: Any) -> None:
        if isinstance(value, Payload):
            found.append(value)
        elif isinstance(value, MarkerRecordedEventAttributes):
            for key, payloads in value.details.items():
                if key != "data":
                    walk(payloads)
        elif hasattr(value, "ListFields"):
            for descriptor, field in value.ListFields():
                if descriptor.name != "search_attributes":
                    walk(field)
        elif hasattr(value, "values") and callable(value.values):  # a map field
            for item in value.values():
                walk(item)
        elif not isinstance(value, str | bytes) and hasattr(value, "__len__"):  # repeated
            for item in value:
                walk(item)

    for event in history.events:
        walk(event)
    return found


def as_json(payload: Payload) -> dict[str, Any]:
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


async def test_a_runs_payloads_are_encrypted_and_the_api_still_reads_them(
    encrypting: ApiHarness,
) -> None:
    workflow_id = await create_workflow(encrypting.client)
    run_id = await start_run(encrypting.client, workflow_id, {"name": MARKER})
    state = await wait_for_end(encrypting.client, run_id)

    assert state["status"] == "succeeded", state
    assert MARKER in json.dumps(state)
    payloads = await history_payloads(encrypting, run_id)
    assert payloads, "the history has no payloads to check"
    for payload in payloads:
        assert payload.metadata["encoding"] == b"binary/encrypted"
        assert MARKER.encode() not in payload.data
        assert set(payload.metadata) == {"encoding", "encryption-key-id"}


async def test_the_codec_endpoint_decodes_for_the_operator_only(encrypting: ApiHarness) -> None:
    workflow_id = await create_workflow(encrypting.client)
    run_id = await start_run(encrypting.client, workflow_id, {"name": MARKER})
    state = await wait_for_end(encrypting.client, run_id)
    assert state["status"] == "succeeded", state
    encrypted = [as_json(payload) for payload in await history_payloads(encrypting, run_id)]

    async with http_client(base_url=encrypting.url, timeout=30) as anonymous:
        refused = await anonymous.post("/codec/decode", json={"payloads": encrypted})
        api_key = await anonymous.post(
            "/codec/decode",
            json={"payloads": encrypted},
            headers={"Authorization": f"Bearer {encrypting.api_key}"},
        )
        decoded = await anonymous.post(
            "/codec/decode",
            json={"payloads": encrypted},
            headers={"Authorization": f"Bearer {CODEC_TOKEN}", "X-Namespace": "default"},
        )

    assert refused.status_code == 401, refused.text
    assert api_key.status_code == 401, "an organization's API key opens every organization's data"
    assert decoded.status_code == 200, decoded.text
    plain = decoded.json()["payloads"]
    assert len(plain) == len(encrypted)
    assert all(base64.b64decode(p["metadata"]["encoding"]) == b"json/plain" for p in plain), plain
    assert any(MARKER in base64.b64decode(p["data"]).decode() for p in plain)


async def test_encode_then_decode_gives_the_payload_back(encrypting: ApiHarness) -> None:
    original = {
        "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
        "data": base64.b64encode(b'{"a": 1}').decode(),
    }
    headers = {"Authorization": f"Bearer {CODEC_TOKEN}"}
    async with http_client(base_url=encrypting.url, timeout=30) as client:
        encoded = await client.post("/codec/encode", json={"payloads": [original]}, headers=headers)
        assert encoded.status_code == 200, encoded.text
        [sealed] = encoded.json()["payloads"]
        assert base64.b64decode(sealed["data"]) != b'{"a": 1}'
        decoded = await client.post("/codec/decode", json={"payloads": [sealed]}, headers=headers)
    assert decoded.json()["payloads"] == [original]


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        ({"metadata": {"encoding": "not base64!"}, "data": ""}, ["payloads", 0]),
        (
            {
                "metadata": {
                    "encoding": base64.b64encode(b"binary/encrypted").decode(),
                    "encryption-key-id": base64.b64encode(b"nope").decode(),
                },
                "data": base64.b64encode(b"x" * 40).decode(),
            },
            ["payloads", 0],
        ),
        (
            {
                "metadata": {
                    "encoding": base64.b64encode(b"binary/encrypted").decode(),
                    "encryption-key-id": base64.b64encode(b"dev").decode(),
                },
                "data": base64.b64encode(b"tampered" * 8).decode(),
            },
            ["payloads", 0],
        ),
    ],
)
async def test_bad_payloads_are_refused_saying_which(
    encrypting: ApiHarness, payload: dict[str, Any], where: list[Any]
) -> None:
    async with http_client(base_url=encrypting.url, timeout=30) as client:
        answer = await client.post(
            "/codec/decode",
            json={"payloads": [payload]},
            headers={"Authorization": f"Bearer {CODEC_TOKEN}"},
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["path"] == where


async def test_the_codec_endpoint_is_off_without_a_token(api: ApiHarness) -> None:
    answer = await api.client.post("/codec/decode", json={"payloads": []})
    assert answer.status_code == 404, answer.text
    assert "PAYLOAD_CODEC_TOKEN" in answer.json()["error"]["message"]
