"""Whole runs on a real (time-skipping) Temporal server, with the worker's activities calling
the emulator over real HTTP: a rate limit waited out to the window's reset, a thread that
resumes without duplicates, every platform action in one run, and issue 6's acceptance
workflow; no secret reaches a run's history or the logs."""

from __future__ import annotations

import asyncio
import itertools
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.services import ActionServices
from app.catalog import CATALOG
from app.vault.credentials import ALLOWED_HOSTS_FIELD
from emulator import record
from emulator.config import EmulatorConfig
from emulator.control import InstagramAccount, XAccount
from emulator.testing import EmulatorHandle
from temporal.worker import build_worker
from tests.activities.support import connect_emulated, new_account, new_organization
from tests.utils.compiling import compile_workflow
from tests.utils.servers import serve
from tests.utils.temporal import close_open_runs, history_text
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunMetadata, RunState, TriggerInput

WINDOW = timedelta(minutes=15)
IMAGE = "https://cdn.example.com/photo.jpg"
HTTP_TOKEN = "http-bearer-4f1d9a7c2b"
HTTP_QUERY_KEY = "http-query-key-8e3b6d0f51"


class Platforms:
    """A worker on a time-skipping server, an X user and an Instagram account connected."""

    def __init__(
        self, client: Client, task_queue: str, emulator: EmulatorHandle, organization: str,
        x: XAccount, x_account: str, instagram: InstagramAccount, instagram_account: str,
    ) -> None:  # fmt: skip
        self.client = client
        self.task_queue = task_queue
        self.emulator = emulator
        self.organization = organization
        self.x, self.x_account = x, x_account
        self.instagram, self.instagram_account = instagram, instagram_account

    async def start(
        self, *nodes: dict[str, Any], http_accounts: tuple[str, ...] = (), payload: Any = None
    ) -> WorkflowHandle[Any, RunState]:
        """Start a run of the nodes, chained in order after a manual trigger given `payload`;
        nodes may use the X and Instagram accounts and `http_accounts`."""
        ids = ["start", *(node["id"] for node in nodes)]
        graph = {
            "nodes": [{"id": "start", "type": "trigger.manual"}, *nodes],
            "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
        }
        plan = compile_workflow(
            graph,
            accounts={
                self.x_account: "x",
                self.instagram_account: "instagram",
                **dict.fromkeys(http_accounts, "http"),
            },
            catalog=CATALOG,
        )
        run = RunInput(
            plan=plan,
            trigger=TriggerInput(kind="manual", node_id="start", payload=payload),
            metadata=RunMetadata(
                organization_id=self.organization, workflow_id="wf_platforms",
                workflow_version=1, plan_hash=plan.content_hash(),
            ),
        )  # fmt: skip
        return await self.client.start_workflow(
            INTERPRETER_WORKFLOW, run, id=f"run_{uuid.uuid4().hex}",
            task_queue=self.task_queue, result_type=RunState,
        )  # fmt: skip

    def x_node(self, node_id: str, type_: str, **parameters: Any) -> dict[str, Any]:
        return {
            "id": node_id,
            "type": type_,
            "account_id": self.x_account,
            "parameters": parameters,
        }

    def x_posts(self) -> list[Any]:
        return list(reversed(self.emulator.posts_by(self.x.user_id)))

    def secrets(self) -> list[str]:
        """The platform tokens the vault holds for this run's accounts."""
        return [self.x.access_token, str(self.x.refresh_token), self.instagram.access_token]

    async def assert_no_secret_in_history_or_logs(
        self, handle: WorkflowHandle[Any, RunState], logs: str, *others: str
    ) -> None:
        """docs/architecture.md, invariant 3: activities get account ids and return what the
        platform answered, never a token, and nothing logs one."""
        history = await history_text(handle)
        # Account ids travel only inside payloads: seen, so payloads were searched.
        assert self.x_account in history
        for secret in [*self.secrets(), *others]:
            assert secret not in history
            assert secret not in logs


@pytest.fixture
async def platforms(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    emulator: EmulatorHandle,
    services: ActionServices,
) -> AsyncIterator[Platforms]:
    # Private networks allowed: the APIs `http.request` nodes call here are on loopback.
    organization = await new_organization(services.database, private_networks=True)
    emulator.reset(EmulatorConfig(instagram_polls_in_progress=1))
    x = emulator.add_x_user("ada", name="Ada Lovelace")
    instagram = emulator.add_instagram_user("ada.makes")
    x_account, instagram_account = await connect_emulated(services, organization, x, instagram)
    async with build_worker(time_skipping_env.client, task_queue, services=services):
        yield Platforms(
            time_skipping_env.client, task_queue, emulator, organization,
            x, x_account, instagram, instagram_account,
        )  # fmt: skip
        await close_open_runs(time_skipping_env.client)


async def retry_scheduled(handle: WorkflowHandle[Any, RunState], activity: str) -> None:
    """Wait (without letting time skip) until `activity` failed once and waits for a retry."""
    async with asyncio.timeout(30):
        while True:
            description = await handle.describe()
            for pending in description.raw_description.pending_activities:
                if pending.activity_type.name == activity and pending.attempt >= 2:
                    return
            await asyncio.sleep(0.05)


async def started_after_scheduled(handle: WorkflowHandle[Any, RunState], activity: str) -> float:
    """Seconds of (server) time between the activity's scheduling and its last attempt's start."""
    scheduled: dict[int, tuple[str, float]] = {}
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attributes = event.activity_task_scheduled_event_attributes
            scheduled[event.event_id] = (
                attributes.activity_type.name,
                event.event_time.ToDatetime().timestamp(),
            )
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            name, at = scheduled[event.activity_task_started_event_attributes.scheduled_event_id]
            if name == activity:
                return event.event_time.ToDatetime().timestamp() - at
    raise AssertionError(f"{activity} never started")


async def test_a_run_meets_a_rate_limit_waits_for_the_reset_and_posts_once(
    platforms: Platforms,
) -> None:
    platforms.emulator.set_x_rate_limit(
        platforms.x.user_id, "POST /2/tweets", remaining=0, reset_in=WINDOW
    )
    handle = await platforms.start(platforms.x_node("post", "x.post", text="worth the wait"))
    await retry_scheduled(handle, "x.post")
    platforms.emulator.advance(WINDOW)  # the emulator's clock follows the server's skip
    state = await handle.result()
    assert state.status == "succeeded"
    [post] = platforms.x_posts()
    assert state.nodes["post"].output == {"id": post.id, "text": "worth the wait"}
    assert platforms.emulator.count(record.X_POST_CREATED) == 1
    assert await started_after_scheduled(handle, "x.post") >= WINDOW.total_seconds() - 5


async def test_a_thread_that_fails_halfway_resumes_without_duplicates(
    platforms: Platforms,
) -> None:
    platforms.emulator.set_x_rate_limit(
        platforms.x.user_id, "POST /2/tweets", remaining=2, reset_in=WINDOW
    )
    texts = [f"{n}/4 a thread that survives" for n in range(1, 5)]
    handle = await platforms.start(
        platforms.x_node("thread", "x.thread", posts=[{"text": text} for text in texts])
    )
    await retry_scheduled(handle, "x.thread")
    assert len(platforms.x_posts()) == 2
    platforms.emulator.advance(WINDOW)
    state = await handle.result()
    posts = platforms.x_posts()
    assert [post.text for post in posts] == texts
    assert [post.reply_to for post in posts] == [None, *(post.id for post in posts[:-1])]
    assert state.nodes["thread"].output["ids"] == [post.id for post in posts]
    assert platforms.emulator.count(record.X_POST_CREATED) == 4


async def test_acceptance_thread_wait_metrics_and_instagram_with_failures_handled(
    platforms: Platforms, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 6: post a thread, wait, read its metrics and publish to Instagram, against the
    emulator, meeting a rate limit halfway through the thread, an Instagram outage, media
    still processing, and a publish whose answer is lost."""
    emulator = platforms.emulator
    emulator.set_x_rate_limit(platforms.x.user_id, "POST /2/tweets", remaining=1, reset_in=WINDOW)
    emulator.fail_next("POST", "/v21.0/*/media", status=503)
    emulator.fail_next("POST", "/v21.0/*/media_publish", network=True, when="after")
    handle = await platforms.start(
        platforms.x_node(
            "thread", "x.thread",
            posts=[{"text": "Launching today (1/2)"}, {"text": "Details inside (2/2)"}],
        ),
        {"id": "wait", "type": "delay", "parameters": {"duration": "PT6H"}},
        platforms.x_node("metrics", "x.get_post", post_id="{{ nodes.thread.first_id }}"),
        {
            "id": "publish", "type": "instagram.publish", "account_id": platforms.instagram_account,
            "parameters": {
                "kind": "image", "image_url": IMAGE, "poll_interval": "PT1S",
                "caption": "{{ nodes.metrics.public_metrics.like_count }} likes on X so far",
            },
        },
    )  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        await retry_scheduled(handle, "x.thread")
        [first] = platforms.x_posts()
        emulator.set_post_metrics(first.id, like_count=42)
        emulator.advance(WINDOW)
        state = await handle.result()

    assert state.status == "succeeded"
    posts = platforms.x_posts()
    assert [post.reply_to for post in posts] == [None, first.id]
    assert state.nodes["metrics"].output["public_metrics"]["like_count"] == 42
    [media] = emulator.published_by(platforms.instagram.ig_user_id)
    assert media.caption == "42 likes on X so far"
    assert state.nodes["publish"].output["media_id"] == media.id
    assert emulator.count(record.X_POST_CREATED) == 2
    assert emulator.count(record.INSTAGRAM_MEDIA_PUBLISHED) == 1
    await platforms.assert_no_secret_in_history_or_logs(handle, caplog.text)


@pytest.fixture(scope="module")
async def protected_api() -> AsyncIterator[str]:
    """An HTTP API that answers only callers with `HTTP_TOKEN` or `HTTP_QUERY_KEY`."""
    app = FastAPI()

    @app.get("/report")
    async def report(request: Request) -> JSONResponse:
        bearer = request.headers.get("authorization") == f"Bearer {HTTP_TOKEN}"
        keyed = request.query_params.get("api_key") == HTTP_QUERY_KEY
        if not (bearer or keyed):
            return JSONResponse({"detail": "who are you?"}, status_code=401)
        return JSONResponse({"sales": 12, "by": "bearer" if bearer else "query"})

    async with serve(app) as url:
        yield url


async def test_every_platform_action_runs_in_one_run_and_no_secret_leaks(
    platforms: Platforms,
    services: ActionServices,
    protected_api: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """x.me, x.post, x.delete, instagram.publish, media and account insights, and
    http.request with a header and a query credential, through the interpreter (issues 4.9,
    6.1); the run's history and the logs hold none of the secrets."""
    emulator = platforms.emulator
    emulator.set_insights(platforms.instagram.ig_user_id, profile_views=33)
    bearer = await new_account(
        services, organization_id=platforms.organization, platform="http", kind="bearer",
        secret={"token": HTTP_TOKEN, ALLOWED_HOSTS_FIELD: ["127.0.0.1"]},
    )  # fmt: skip
    keyed = await new_account(
        services, organization_id=platforms.organization, platform="http", kind="query",
        secret={"name": "api_key", "value": HTTP_QUERY_KEY, ALLOWED_HOSTS_FIELD: ["127.0.0.1"]},
    )  # fmt: skip
    instagram = {"account_id": platforms.instagram_account}
    with caplog.at_level(logging.DEBUG):
        handle = await platforms.start(
            platforms.x_node("me", "x.me"),
            platforms.x_node("post", "x.post", text="hi, I am @{{ nodes.me.username }}"),
            platforms.x_node("remove", "x.delete", post_id="{{ nodes.post.id }}"),
            {
                "id": "publish", "type": "instagram.publish", **instagram,
                "parameters": {"kind": "image", "image_url": IMAGE, "poll_interval": "PT1S"},
            },
            {
                "id": "media", "type": "instagram.insights", **instagram,
                "parameters": {
                    "target": "media", "media_id": "{{ nodes.publish.media_id }}",
                    "metrics": ["reach", "likes"],
                },
            },
            {
                "id": "account", "type": "instagram.insights", **instagram,
                "parameters": {"target": "account", "metrics": ["profile_views"]},
            },
            *(
                {
                    "id": node_id, "type": "http.request", "account_id": account,
                    "parameters": {"url": f"{protected_api}/report"},
                }
                for node_id, account in (("bearer", bearer), ("keyed", keyed))
            ),
            http_accounts=(bearer, keyed),
        )  # fmt: skip
        state = await handle.result()

    assert state.status == "succeeded"
    outputs = {node_id: node.output for node_id, node in state.nodes.items()}
    assert outputs["me"] == {"id": platforms.x.user_id, "name": "Ada Lovelace", "username": "ada"}
    [post] = emulator.posts_by(platforms.x.user_id, include_deleted=True)
    assert post.text == "hi, I am @ada"
    assert outputs["post"]["id"] == post.id
    assert outputs["remove"] == {"deleted": True}
    assert emulator.posts_by(platforms.x.user_id) == []
    assert emulator.count(record.X_POST_CREATED) == emulator.count(record.X_POST_DELETED) == 1
    [media] = emulator.published_by(platforms.instagram.ig_user_id)
    assert outputs["publish"]["media_id"] == media.id
    assert set(outputs["media"]["metrics"]) == {"reach", "likes"}
    assert outputs["account"]["metrics"]["profile_views"] == 33
    assert [outputs[node_id]["body"] for node_id in ("bearer", "keyed")] == [
        {"sales": 12, "by": "bearer"},
        {"sales": 12, "by": "query"},
    ]
    await platforms.assert_no_secret_in_history_or_logs(
        handle, caplog.text, HTTP_TOKEN, HTTP_QUERY_KEY
    )


async def test_run_input_cannot_lead_an_action_to_another_api_path(platforms: Platforms) -> None:
    """Issue 12, point 1: an id rendered from run input that holds traversal text and `{{`
    once reached `GET /2/users/me` and `DELETE` on any X path with the account's token."""
    injected = "{{ trigger.id }}"
    instagram = {"type": "instagram.insights", "account_id": platforms.instagram_account}
    handle = await platforms.start(
        {**platforms.x_node("read", "x.get_post", post_id=injected), "on_error": "continue"},
        {**platforms.x_node("remove", "x.delete", post_id=injected), "on_error": "continue"},
        {"id": "insights", **instagram, "on_error": "continue",
         "parameters": {"target": "media", "media_id": injected, "metrics": ["reach"]}},
        payload={"id": "1/../../2/users/me?{{ x }}"},
    )  # fmt: skip
    state = await handle.result()
    for node_id in ("read", "remove", "insights"):
        error = state.nodes[node_id].error
        assert error is not None, node_id
        assert error.type == "InvalidParameters", node_id
    assert platforms.emulator.requests() == []
