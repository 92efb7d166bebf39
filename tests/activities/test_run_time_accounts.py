"""Issue 15, point 8: accounts chosen at run time, and a connected account's token on
`http.request` to its own platform's API, in whole runs on a real (time-skipping) Temporal
server with the worker calling the emulator over real HTTP. A token never goes anywhere else."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.client import WorkflowHandle

from activities.services import ActionServices
from app.catalog import CATALOG
from emulator import record
from tests.activities.support import new_account, new_organization
from tests.activities.test_platform_runs import Platforms, platforms
from tests.utils.compiling import compile_workflow
from tests.utils.servers import serve
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunMetadata, RunState, TriggerInput

__all__ = ["platforms"]  # the fixture, used by name

ELSEWHERE_SEEN: list[dict[str, str]] = []


@pytest.fixture(scope="module")
async def elsewhere() -> AsyncIterator[str]:
    """Another API on loopback, which records every request's headers."""
    app = FastAPI()

    @app.api_route("/{path:path}", methods=["GET", "POST"])
    async def anything(path: str, request: Request) -> JSONResponse:
        ELSEWHERE_SEEN.append(dict(request.headers))
        return JSONResponse({"path": path})

    async with serve(app) as url:
        yield url


async def start_graph(
    platforms: Platforms, graph: dict[str, Any], payload: Any
) -> WorkflowHandle[Any, RunState]:
    plan = compile_workflow(
        graph,
        accounts={platforms.x_account: "x", platforms.instagram_account: "instagram"},
        catalog=CATALOG,
    )
    run = RunInput(
        plan=plan,
        trigger=TriggerInput(kind="manual", node_id="start", payload=payload),
        metadata=RunMetadata(
            organization_id=platforms.organization, workflow_id="wf_accounts",
            workflow_version=1, plan_hash=plan.content_hash(),
        ),
    )  # fmt: skip
    return await platforms.client.start_workflow(
        INTERPRETER_WORKFLOW, run, id=f"run_{uuid.uuid4().hex}",
        task_queue=platforms.task_queue, result_type=RunState,
    )  # fmt: skip


async def test_a_templated_account_posts_with_the_account_the_run_gives(
    platforms: Platforms,
) -> None:
    handle = await platforms.start(
        {**platforms.x_node("post", "x.post", text="chosen at run time"),
         "account_id": "{{ trigger.account }}"},
        payload={"account": platforms.x_account},
    )  # fmt: skip
    state = await handle.result()
    assert state.status == "succeeded", state.nodes["post"].error
    [post] = platforms.x_posts()
    assert post.text == "chosen at run time"


async def test_a_loop_posts_once_with_each_account_it_is_given(
    platforms: Platforms, services: ActionServices
) -> None:
    grace = platforms.emulator.add_x_user("grace", name="Grace Hopper")
    grace_account = await new_account(
        services, organization_id=platforms.organization, platform="x", kind="oauth2",
        secret={"access_token": grace.access_token, "refresh_token": str(grace.refresh_token)},
        external_id=grace.user_id, expires_at=grace.expires_at,
    )  # fmt: skip
    graph = {
        "nodes": [
            {"id": "start", "type": "trigger.manual"},
            {"id": "each", "type": "loop", "parameters": {"items": "trigger.accounts"}},
            {**platforms.x_node("post", "x.post", text="hello from {{ item }}"),
             "account_id": "{{ item }}"},
        ],
        "edges": [
            {"source": "start", "target": "each"},
            {"source": "each", "target": "post", "sourceHandle": "body"},
            {"source": "post", "target": "each"},
        ],
    }  # fmt: skip
    handle = await start_graph(platforms, graph, {"accounts": [platforms.x_account, grace_account]})
    state = await handle.result()
    assert state.status == "succeeded", state.nodes["each"].error
    assert [post.text for post in platforms.x_posts()] == [f"hello from {platforms.x_account}"]
    assert [post.text for post in reversed(platforms.emulator.posts_by(grace.user_id))] == [
        f"hello from {grace_account}"
    ]


@pytest.mark.parametrize(
    ("given", "failure", "says"),
    [
        ("acc_nobody", "AccountNotFound", "'acc_nobody' does not exist in this organization"),
        ("INSTAGRAM", "WrongAccount", "is a instagram account, not x"),
        (42, "InvalidParameters", "account_id: '{{ trigger.account }}' gave a number"),
        (None, "InvalidParameters", "gave null, not an account id"),
    ],
)
async def test_a_templated_account_that_is_not_the_nodes_fails_it_for_good(
    platforms: Platforms, given: object, failure: str, says: str
) -> None:
    account = platforms.instagram_account if given == "INSTAGRAM" else given
    handle = await platforms.start(
        {**platforms.x_node("post", "x.post", text="never"),
         "account_id": "{{ trigger.account }}", "on_error": "continue"},
        payload={"account": account},
    )  # fmt: skip
    state = await handle.result()
    error = state.nodes["post"].error
    assert error is not None
    assert error.type == failure
    assert says in error.message
    assert state.nodes["post"].attempts == 1
    assert platforms.emulator.count(record.X_POST_CREATED) == 0


async def test_an_account_of_another_organization_is_not_found(
    platforms: Platforms, services: ActionServices
) -> None:
    other = await new_organization(services.database)
    theirs = await new_account(
        services, organization_id=other, platform="x", kind="oauth2",
        secret={"access_token": platforms.x.access_token}, external_id=platforms.x.user_id,
    )  # fmt: skip
    handle = await platforms.start(
        {**platforms.x_node("post", "x.post", text="not yours"),
         "account_id": "{{ trigger.account }}", "on_error": "continue"},
        payload={"account": theirs},
    )  # fmt: skip
    state = await handle.result()
    error = state.nodes["post"].error
    assert error is not None
    assert error.type == "AccountNotFound"
    assert platforms.emulator.count(record.X_POST_CREATED) == 0


async def test_http_request_calls_the_x_api_with_the_x_accounts_token(
    platforms: Platforms, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"{platforms.emulator.url}/2/users/me"
    with caplog.at_level(logging.DEBUG):
        handle = await platforms.start(
            {"id": "me", "type": "http.request", "account_id": platforms.x_account,
             "parameters": {"url": url}},
            {"id": "chosen", "type": "http.request", "account_id": "{{ trigger.account }}",
             "parameters": {"url": url}},
            payload={"account": platforms.x_account},
        )  # fmt: skip
        state = await handle.result()
    assert state.status == "succeeded", (state.nodes["me"].error, state.nodes["chosen"].error)
    for node_id in ("me", "chosen"):
        output = state.nodes[node_id].output
        assert output["status"] == 200
        assert output["body"]["data"]["username"] == "ada"
    await platforms.assert_no_secret_in_history_or_logs(handle, caplog.text)


async def test_http_request_calls_the_instagram_api_with_the_instagram_accounts_token(
    platforms: Platforms,
) -> None:
    handle = await platforms.start(
        {"id": "me", "type": "http.request", "account_id": "{{ trigger.account }}",
         "parameters": {"url": f"{platforms.emulator.url}/v21.0/me",
                        "query": {"fields": "id,username"}}},
        payload={"account": platforms.instagram_account},
    )  # fmt: skip
    state = await handle.result()
    output = state.nodes["me"].output
    assert state.status == "succeeded", state.nodes["me"].error
    assert output["body"]["username"] == "ada.makes"


async def test_a_platform_token_never_goes_to_another_host(
    platforms: Platforms, elsewhere: str
) -> None:
    """Static on both sides the API refuses it on save (tests/api/test_run_time_accounts.py);
    here the URL or the account is a template, so the action refuses it before sending."""
    ELSEWHERE_SEEN.clear()
    handle = await platforms.start(
        {"id": "url", "type": "http.request", "account_id": platforms.x_account,
         "on_error": "continue", "parameters": {"url": "{{ trigger.url }}"}},
        {"id": "account", "type": "http.request", "account_id": "{{ trigger.account }}",
         "on_error": "continue", "parameters": {"url": f"{elsewhere}/steal"}},
        {"id": "instagram", "type": "http.request", "account_id": "{{ trigger.instagram }}",
         "on_error": "continue", "parameters": {"url": f"{elsewhere}/steal"}},
        payload={"url": f"{elsewhere}/steal", "account": platforms.x_account,
                 "instagram": platforms.instagram_account},
    )  # fmt: skip
    state = await handle.result()
    for node_id in ("url", "account", "instagram"):
        error = state.nodes[node_id].error
        assert error is not None, node_id
        assert error.type == "HostNotAllowed", node_id
        assert "goes only to its API" in error.message
        assert platforms.emulator.url.removeprefix("http://") in error.message
    assert ELSEWHERE_SEEN == []


async def test_a_refused_platform_token_is_renewed_once_and_the_request_sent_again(
    platforms: Platforms, caplog: pytest.LogCaptureFixture
) -> None:
    platforms.emulator.expire_token(platforms.x.access_token)
    with caplog.at_level(logging.DEBUG):
        handle = await platforms.start(
            {"id": "me", "type": "http.request", "account_id": platforms.x_account,
             "parameters": {"url": f"{platforms.emulator.url}/2/users/me"}},
        )  # fmt: skip
        state = await handle.result()
    assert state.status == "succeeded", state.nodes["me"].error
    assert state.nodes["me"].output["body"]["data"]["username"] == "ada"
    assert state.nodes["me"].attempts == 1
    me_calls = platforms.emulator.requests("GET", "/2/users/me")
    assert [seen.status for seen in me_calls] == [401, 200]
    await platforms.assert_no_secret_in_history_or_logs(handle, caplog.text)


async def test_an_account_template_that_fails_names_the_account_id_field(
    platforms: Platforms,
) -> None:
    handle = await platforms.start(
        {**platforms.x_node("post", "x.post", text="never"),
         "account_id": "{{ trigger.account + 1 }}", "on_error": "continue"},
        payload={"account": platforms.x_account},
    )  # fmt: skip
    state = await handle.result()
    error = state.nodes["post"].error
    assert error is not None
    assert error.type == "ExpressionError"
    assert error.message.startswith("account_id: ")
    assert platforms.x_account not in error.message
    assert platforms.emulator.count(record.X_POST_CREATED) == 0
