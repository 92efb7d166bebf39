"""`ai.generate` in whole runs on a real (time-skipping) Temporal server, through the
interpreter, calling the emulated OpenAI-compatible and Anthropic APIs over real HTTP: plain
and structured answers with their token usage, an answer that does not match its schema, a
wrong key, a rate limit waited out as the headers say, an outage retried, a schema the
provider refuses, a base URL on a private network; the key never reaches the run's history
or the logs."""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.services import ActionServices
from app.catalog import CATALOG
from app.vault.credentials import AI_BASE_URL_FIELD
from emulator import ai as emulated_ai
from emulator.testing import EmulatorHandle
from temporal.worker import build_worker
from tests.activities.support import new_account, new_organization
from tests.activities.test_platform_runs import retry_scheduled, started_after_scheduled
from tests.utils.compiling import compile_workflow
from tests.utils.temporal import close_open_runs, history_text
from workflows.state import INTERPRETER_WORKFLOW, RunInput, RunMetadata, RunState, TriggerInput

OPENAI_KEY = "sk-test-openai-5c1e9d7a3b2f4e6a8d0c"
ANTHROPIC_KEY = "sk-ant-test-9f3b7e1d5c2a4b6e8f0a"
TITLE_SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string"}, "score": {"type": "integer", "minimum": 1}},
    "required": ["title", "score"],
    "additionalProperties": False,
}


class AiRuns:
    def __init__(
        self, client: Client, task_queue: str, emulator: EmulatorHandle, organization: str,
        openai: str, anthropic: str,
    ) -> None:  # fmt: skip
        self.client = client
        self.task_queue = task_queue
        self.emulator = emulator
        self.organization = organization
        self.openai = openai
        self.anthropic = anthropic

    def node(self, account: str, node_id: str = "ask", **parameters: Any) -> dict[str, Any]:
        parameters.setdefault("model", "test-model")
        return {
            "id": node_id,
            "type": "ai.generate",
            "account_id": account,
            "parameters": parameters,
        }

    async def start(
        self, *nodes: dict[str, Any], payload: Any = None
    ) -> WorkflowHandle[Any, RunState]:
        ids = ["start", *(node["id"] for node in nodes)]
        graph = {
            "nodes": [{"id": "start", "type": "trigger.manual"}, *nodes],
            "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(ids)],
        }
        accounts = {node["account_id"]: "ai" for node in nodes if "account_id" in node}
        plan = compile_workflow(graph, accounts=accounts, catalog=CATALOG)
        run = RunInput(
            plan=plan,
            trigger=TriggerInput(kind="manual", node_id="start", payload=payload),
            metadata=RunMetadata(
                organization_id=self.organization, workflow_id="wf_ai", workflow_version=1,
                plan_hash=plan.content_hash(),
            ),
        )  # fmt: skip
        return await self.client.start_workflow(
            INTERPRETER_WORKFLOW, run, id=f"run_{uuid.uuid4().hex}",
            task_queue=self.task_queue, result_type=RunState,
        )  # fmt: skip

    async def assert_no_key_in(
        self, handle: WorkflowHandle[Any, RunState], logs: str, account: str
    ) -> None:
        history = await history_text(handle)
        assert account in history  # payloads were searched
        for key in (OPENAI_KEY, ANTHROPIC_KEY):
            # OpenAI's 401 shows a key's first 3 and last 4 characters: neither may travel.
            for fragment in (key, key[-4:], key[:12]):
                assert fragment not in history
                assert fragment not in logs


async def node_error(handle: WorkflowHandle[Any, RunState], node: str = "ask") -> Any:
    """The error the run failed with at `node`, as its state shows it."""
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    state = await handle.query("state")
    assert state["status"] == "failed"
    return state["nodes"][node]["error"]


async def ai_account(
    services: ActionServices, organization: str, provider: str, key: str, base_url: str
) -> str:
    return await new_account(
        services, organization_id=organization, platform="ai", kind=provider,  # type: ignore[arg-type]
        secret={"api_key": key, AI_BASE_URL_FIELD: base_url},
    )  # fmt: skip


@pytest.fixture
async def runs(
    time_skipping_env: WorkflowEnvironment,
    task_queue: str,
    emulator: EmulatorHandle,
    services: ActionServices,
) -> AsyncIterator[AiRuns]:
    # Private networks allowed: the emulated providers are on loopback, as a local server is.
    organization = await new_organization(services.database, private_networks=True)
    emulator.reset()
    emulator.add_ai_key(OPENAI_KEY)
    emulator.add_ai_key(ANTHROPIC_KEY)
    openai = await ai_account(services, organization, "openai", OPENAI_KEY, f"{emulator.url}/v1")
    anthropic = await ai_account(services, organization, "anthropic", ANTHROPIC_KEY, emulator.url)
    async with build_worker(time_skipping_env.client, task_queue, services=services):
        yield AiRuns(
            time_skipping_env.client, task_queue, emulator, organization, openai, anthropic
        )
        await close_open_runs(time_skipping_env.client)


async def test_both_providers_answer_a_templated_prompt_with_usage_and_no_key_travels(
    runs: AiRuns, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        handle = await runs.start(
            runs.node(runs.openai, "gpt", system="Be brief.",
                      prompt="Title for {{ trigger.topic }}", temperature=0.2, max_tokens=50),
            runs.node(runs.anthropic, "claude", system="Be brief.",
                      messages=[{"role": "user", "content": "Hi"},
                                {"role": "assistant", "content": "Hello"},
                                {"role": "user", "content": "Improve: {{ nodes.gpt.text }}"}]),
            payload={"topic": "durable runs"},
        )  # fmt: skip
        state = await handle.result()
    assert state.status == "succeeded", state.error
    gpt, claude = state.nodes["gpt"].output, state.nodes["claude"].output
    assert gpt == {
        "text": "echo: Title for durable runs", "json": None, "model": "test-model",
        "finish_reason": "stop", "provider": "openai",
        "usage": {"input_tokens": 6, "output_tokens": 5, "total_tokens": 11},
    }  # fmt: skip
    assert claude["text"] == "echo: Improve: echo: Title for durable runs"
    assert claude["provider"] == "anthropic"
    assert claude["finish_reason"] == "end_turn"
    assert claude["usage"]["input_tokens"] > 0
    assert claude["usage"]["total_tokens"] > 0
    sent_openai, sent_anthropic = runs.emulator.ai_requests()
    assert sent_openai["messages"][0] == {"role": "system", "content": "Be brief."}
    assert sent_openai["temperature"] == 0.2
    assert sent_openai["max_tokens"] == 50
    assert sent_anthropic["system"] == "Be brief."
    assert len(sent_anthropic["messages"]) == 3
    await runs.assert_no_key_in(handle, caplog.text, runs.openai)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_structured_output_is_asked_for_checked_and_given_as_json(
    runs: AiRuns, provider: str
) -> None:
    account = runs.openai if provider == "openai" else runs.anthropic
    handle = await runs.start(
        runs.node(account, prompt="Rate {{ trigger.post }}", response_schema=TITLE_SCHEMA,
                  schema_name="rating", strict=True),
        {"id": "use", "type": "transform",
         "parameters": {"value": {"title": "{{ nodes.ask.json.title }}"}}},
        payload={"post": "a post"},
    )  # fmt: skip
    state = await handle.result()
    assert state.status == "succeeded", state.error
    assert state.nodes["ask"].output["json"] == {"title": "echo: Rate a post", "score": 1}
    assert state.nodes["use"].output == {"title": "echo: Rate a post"}
    [sent] = runs.emulator.ai_requests()
    if provider == "openai":
        assert sent["response_format"]["json_schema"]["name"] == "rating"
    else:
        assert sent["tool_choice"] == {"type": "tool", "name": "rating"}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_an_answer_that_does_not_match_the_schema_fails_the_node_saying_where(
    runs: AiRuns, provider: str
) -> None:
    account = runs.openai if provider == "openai" else runs.anthropic
    runs.emulator.queue_ai_reply('{"title": "ok", "score": "high"}')
    handle = await runs.start(runs.node(account, prompt="Rate", response_schema=TITLE_SCHEMA))
    error = await node_error(handle)
    assert error["type"] == "AiInvalidOutput"
    assert "does not match response_schema 'answer' at $.score" in error["message"]
    assert len(runs.emulator.ai_requests()) == 1  # not retried


async def test_an_answer_that_is_not_json_fails_clearly(runs: AiRuns) -> None:
    runs.emulator.queue_ai_reply("Sure! Here is your JSON: {")
    handle = await runs.start(runs.node(runs.openai, prompt="Rate", response_schema=TITLE_SCHEMA))
    error = await node_error(handle)
    assert error["type"] == "AiInvalidOutput"
    assert "not JSON" in error["message"]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_wrong_key_fails_for_good_without_showing_any_of_it(
    runs: AiRuns, services: ActionServices, provider: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = OPENAI_KEY if provider == "openai" else ANTHROPIC_KEY
    base = f"{runs.emulator.url}/v1" if provider == "openai" else runs.emulator.url
    runs.emulator.state.ai.keys.discard(key)
    account = await ai_account(services, runs.organization, provider, key, base)
    with caplog.at_level(logging.DEBUG):
        handle = await runs.start(runs.node(account, prompt="hi"))
        error = await node_error(handle)
    assert error["type"] == "AiUnauthorized"
    assert "HTTP 401" in error["message"]
    assert runs.emulator.requests("POST")[-1].status == 401
    assert len(runs.emulator.requests("POST")) == 1
    await runs.assert_no_key_in(handle, caplog.text, account)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_rate_limit_is_waited_out_as_the_headers_say_then_answered_once(
    runs: AiRuns, provider: str
) -> None:
    account = runs.openai if provider == "openai" else runs.anthropic
    runs.emulator.exhaust_ai_key(OPENAI_KEY if provider == "openai" else ANTHROPIC_KEY)
    handle = await runs.start(
        {**runs.node(account, prompt="hi"),
         "retry": {"initial_interval_seconds": 1, "maximum_interval_seconds": 600}},
    )  # fmt: skip
    await retry_scheduled(handle, "ai.generate")
    runs.emulator.advance(timedelta(minutes=1))  # the emulator's minute follows the server's skip
    state = await handle.result()
    assert state.status == "succeeded", state.error
    statuses = [exchange.status for exchange in runs.emulator.requests("POST")]
    assert statuses == [429, 200]
    # The node's own backoff is 1 s: only the provider's headers make it wait the minute out.
    assert await started_after_scheduled(handle, "ai.generate") >= 50


@pytest.mark.parametrize(
    ("provider", "status"), [("openai", 503), ("anthropic", 529), ("anthropic", 500)]
)
async def test_an_outage_is_retried_and_answered_once(
    runs: AiRuns, provider: str, status: int
) -> None:
    account = runs.openai if provider == "openai" else runs.anthropic
    path = emulated_ai.OPENAI_PATH if provider == "openai" else emulated_ai.ANTHROPIC_PATH
    runs.emulator.fail_next("POST", path, status=status, headers={"retry-after": "2"})
    runs.emulator.fail_next("POST", path, network=True)
    handle = await runs.start(
        {**runs.node(account, prompt="hi"), "retry": {"initial_interval_seconds": 1}}
    )
    state = await handle.result()
    assert state.status == "succeeded", state.error
    assert [e.status for e in runs.emulator.requests("POST")] == [status, 0, 200]
    assert runs.emulator.count(emulated_ai.AI_COMPLETION) == 1


async def test_a_schema_the_provider_refuses_fails_for_good_with_its_message(runs: AiRuns) -> None:
    loose = {"type": "object", "properties": {"title": {"type": "string"}}}
    handle = await runs.start(
        runs.node(runs.openai, prompt="hi", response_schema=loose, strict=True)
    )
    error = await node_error(handle)
    assert error["type"] == "AiBadRequest"
    assert "HTTP 400" in error["message"]
    assert "additionalProperties" in error["message"]


async def test_a_base_url_on_a_private_network_needs_the_organizations_permission(
    runs: AiRuns, services: ActionServices
) -> None:
    closed = await new_organization(services.database)
    account = await ai_account(services, closed, "openai", OPENAI_KEY, f"{runs.emulator.url}/v1")
    runs.organization = closed
    handle = await runs.start(runs.node(account, prompt="hi"))
    error = await node_error(handle)
    assert error["type"] == "AddressNotAllowed"
    assert runs.emulator.ai_requests() == []
