"""A webhook trigger's `dedup_key` (issue 15, point 1): Meta re-sends one comment in a new
envelope (another `entry.time`), to one API process or another, and the comment is answered
once. Over real HTTP: the emulator's Meta webhooks, two API processes on one database and
Temporal server, the worker's Instagram actions against the emulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.api.main import create_app
from emulator.testing import EmulatorHandle
from tests.api.test_webhooks import deliver, hook_graph, signed, webhook
from tests.conftest import ApiHarness
from tests.utils.api import create_workflow, wait_for_end
from tests.utils.api_servers import SharedApis, organization_on
from tests.utils.emulated import emulator_settings
from tests.utils.servers import http_client, serve

COMMENT_ID = "trigger.body.entry[0].changes[0].value.id"
COMMENTER = 'trigger.body.entry[0].changes[0].value["from"].username'
"""`from` is a reserved word of the language: read it by subscript."""


@pytest.fixture
async def meta_api(
    api_servers: SharedApis, backend: str, emulator: EmulatorHandle
) -> AsyncIterator[ApiHarness]:
    """An organization on an API whose worker's Instagram is the emulator."""
    server = await api_servers.get(backend, **emulator_settings(emulator))
    async with organization_on(server) as harness:
        yield harness


@pytest.fixture
async def other_api(meta_api: ApiHarness) -> AsyncIterator[str]:
    """A second API process on the same database and Temporal server, with its own memory."""
    async with serve(create_app(meta_api.settings)) as url:
        yield url


def on(api_url: str, hook_url: str) -> str:
    return api_url + "/hooks/" + hook_url.rsplit("/hooks/", 1)[1]


async def control(emulator: EmulatorHandle, path: str, body: dict[str, Any]) -> Any:
    async with http_client(timeout=30) as client:
        response = await client.post(f"{emulator.url}/_emulator{path}", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def answering_graph(account_id: str, **trigger: Any) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": "hook", "type": "trigger.webhook", "parameters": trigger},
            {
                "id": "answer",
                "type": "instagram.reply_comment",
                "account_id": account_id,
                "parameters": {
                    "comment_id": "{{ trigger.body.entry[0].changes[0].value.id }}",
                    "message": "Thanks @{{ " + COMMENTER + " }}!",
                },
            },
        ],
        "edges": [{"source": "hook", "target": "answer"}],
    }


async def answering_hook(api: ApiHarness, emulator: EmulatorHandle, **trigger: Any) -> Any:
    ig = emulator.add_instagram_user("shop.daily")
    connected = await api.client.post("/accounts/instagram", json={"access_token": ig.access_token})
    assert connected.status_code == 201, connected.text
    workflow_id = await create_workflow(
        api.client, answering_graph(connected.json()["id"], **trigger)
    )
    secret = (
        await api.client.put(f"/workflows/{workflow_id}/webhooks/hook/secret", json={})
    ).json()
    await api.client.post(f"/workflows/{workflow_id}/activate")
    return ig, secret["url"], secret["secret"]


async def test_a_comment_meta_resends_in_a_new_envelope_is_answered_once(
    meta_api: ApiHarness, other_api: str, emulator: EmulatorHandle
) -> None:
    ig, url, secret = await answering_hook(meta_api, emulator, dedup_key=COMMENT_ID)
    media = await control(emulator, f"/instagram/users/{ig.ig_user_id}/published", {})
    comment = await control(
        emulator, f"/instagram/media/{media['id']}/comments", {"username": "fan", "text": "Love it"}
    )
    answers = []
    for receiver in (url, on(other_api, url), url):
        sent = await control(
            emulator,
            f"/instagram/comments/{comment['id']}/webhook",
            {"url": receiver, "app_secret": secret},
        )
        assert sent["status"] == 202, sent
        answers.append(httpx.Response(202, text=sent["body"]).json())
        emulator.advance(timedelta(seconds=30))  # the next envelope has another entry.time
    assert [answer["created"] for answer in answers] == [True, False, False]
    assert {answer["run_id"] for answer in answers} == {answers[0]["run_id"]}
    final = await wait_for_end(meta_api.client, answers[0]["run_id"])
    assert final["status"] == "succeeded", final
    conversation = emulator.state.instagram.comments.values()
    replies = [c for c in conversation if c.parent_id == comment["id"]]
    assert [(r.username, r.text) for r in replies] == [("shop.daily", "Thanks @fan!")]
    assert final["output"]["answer"] == {"id": replies[0].id, "comment_id": comment["id"]}


async def test_without_a_dedup_key_each_envelope_starts_a_run(
    meta_api: ApiHarness, emulator: EmulatorHandle
) -> None:
    """What the key is for: the bodies differ, so the body check alone lets both through."""
    ig, url, secret = await answering_hook(meta_api, emulator)
    media = await control(emulator, f"/instagram/users/{ig.ig_user_id}/published", {})
    comment = await control(
        emulator, f"/instagram/media/{media['id']}/comments", {"username": "fan", "text": "Hi"}
    )
    created = []
    for _ in range(2):
        sent = await control(
            emulator,
            f"/instagram/comments/{comment['id']}/webhook",
            {"url": url, "app_secret": secret},
        )
        created.append(httpx.Response(202, text=sent["body"]).json()["created"])
        emulator.advance(timedelta(seconds=30))
    assert created == [True, True]


async def test_another_comment_starts_its_own_run(
    meta_api: ApiHarness, emulator: EmulatorHandle
) -> None:
    ig, url, secret = await answering_hook(meta_api, emulator, dedup_key=COMMENT_ID)
    media = await control(emulator, f"/instagram/users/{ig.ig_user_id}/published", {})
    runs = set()
    for text in ("one", "two"):
        comment = await control(
            emulator, f"/instagram/media/{media['id']}/comments", {"username": "fan", "text": text}
        )
        sent = await control(
            emulator,
            f"/instagram/comments/{comment['id']}/webhook",
            {"url": url, "app_secret": secret},
        )
        answer = httpx.Response(202, text=sent["body"]).json()
        assert answer["created"] is True
        runs.add(answer["run_id"])
    assert len(runs) == 2


async def signed_delivery(url: str, secret: str, document: Any) -> httpx.Response:
    body = json.dumps(document).encode()
    return await deliver(url, body, **{"X-Hub-Signature-256": signed(secret, body)})


async def test_the_key_holds_for_its_window_only(meta_api: ApiHarness) -> None:
    _, url, secret = await webhook(
        meta_api, dedup_key="trigger.body.event_id", dedup_key_window="PT1S", dedup_window="PT0S"
    )
    first = await signed_delivery(url, secret, {"event_id": 7, "n": 1})
    again = await signed_delivery(url, secret, {"event_id": 7, "n": 2})
    assert first.json()["created"] is True
    assert again.json() == {"run_id": first.json()["run_id"], "created": False}
    await asyncio.sleep(1.2)
    later = await signed_delivery(url, secret, {"event_id": 7, "n": 3})
    assert later.json()["created"] is True
    assert later.json()["run_id"] != first.json()["run_id"]


async def test_a_key_that_is_null_starts_the_run_without_the_check(meta_api: ApiHarness) -> None:
    """Meta sends other changes (mentions, story insights) to the same URL: they have no
    comment id, and each starts its run; the body check still refuses an exact replay."""
    _, url, secret = await webhook(meta_api, dedup_key="trigger.body.comment.id")
    runs = [await signed_delivery(url, secret, {"mention": n}) for n in (1, 2)]
    assert [run.status_code for run in runs] == [202, 202]
    assert [run.json()["created"] for run in runs] == [True, True]
    replay = await signed_delivery(url, secret, {"mention": 1})
    assert replay.json() == {"run_id": runs[0].json()["run_id"], "created": False}


async def test_a_key_that_fails_on_a_delivery_is_a_422_naming_the_trigger(
    meta_api: ApiHarness,
) -> None:
    workflow_id, url, secret = await webhook(meta_api, dedup_key="trigger.body.n + 1")
    refused = await signed_delivery(url, secret, {"n": "seven"})
    assert refused.status_code == 422, refused.text
    [detail] = refused.json()["error"]["details"]
    assert detail["code"] == "dedup_key_failed"
    assert (detail["node_id"], detail["path"]) == ("hook", ["parameters", "dedup_key"])
    assert "seven" not in refused.text
    runs = (await meta_api.client.get("/runs", params={"workflow_id": workflow_id})).json()
    assert runs["data"] == []


@pytest.mark.parametrize(
    ("parameters", "field", "message"),
    [
        ({"dedup_key": "trigger.body.id +"}, "dedup_key", "is not a valid expression"),
        ({"dedup_key": "nodes.answer.id"}, "dedup_key", "may read only trigger"),
        ({"dedup_key": "[trigger.body.id, now]"}, "dedup_key", "may read only trigger"),
        ({"dedup_key": "{{ trigger.body.id }}"}, "dedup_key", "templates are not rendered"),
        ({"dedup_key": "trigger.body.id", "dedup_key_window": "P31D"}, "dedup_key_window", ""),
        ({"dedup_key_window": "PT1H"}, "dedup_key_window", "only used with dedup_key"),
    ],
)
async def test_a_wrong_dedup_key_is_refused_when_the_workflow_is_saved(
    meta_api: ApiHarness, parameters: dict[str, Any], field: str, message: str
) -> None:
    response = await meta_api.client.post(
        "/workflows", json={"name": "hooked", "graph": hook_graph(**parameters)}
    )
    assert response.status_code == 422, response.text
    [detail] = response.json()["error"]["details"]
    assert detail["node_id"] == "hook"
    assert detail["path"] == ["graph", "nodes", 0, "parameters", field]
    assert message in detail["message"]
