"""The emulated AI providers answer as OpenAI's Chat Completions and Anthropic's Messages do:
deterministic answers and usage, each provider's error shapes, rate-limit headers and 429s,
strict schemas refused, queued faults with the provider's own error bodies."""

from __future__ import annotations

from datetime import timedelta

import httpx

from emulator.config import EmulatorConfig
from emulator.testing import EmulatorHandle

KEY = "sk-emulated-0123456789abcd"
OPENAI = "/v1/chat/completions"
ANTHROPIC = "/v1/messages"
SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 10}, "tags": {"type": "array",
                   "items": {"enum": ["a", "b"]}}},
    "required": ["title", "tags"],
    "additionalProperties": False,
}  # fmt: skip


def openai_headers(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def anthropic_headers(key: str = KEY) -> dict[str, str]:
    return {"x-api-key": key, "anthropic-version": "2023-06-01"}


async def test_openai_echoes_with_usage_and_rate_limit_headers(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_ai_key(KEY)
    body = {"model": "m", "messages": [{"role": "user", "content": "two words"}]}
    answer = await http.post(OPENAI, json=body, headers=openai_headers())
    assert answer.status_code == 200
    choice = answer.json()["choices"][0]
    assert choice["message"]["content"] == "echo: two words"
    assert answer.json()["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    assert answer.headers["x-ratelimit-remaining-requests"] == "499"
    assert answer.headers["x-ratelimit-reset-requests"].endswith("s")


async def test_structured_output_is_an_instance_of_the_schema(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_ai_key(KEY)
    response_format = {"type": "json_schema", "json_schema": {"name": "t", "schema": SCHEMA}}
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "response_format": response_format}  # fmt: skip
    answer = await http.post(OPENAI, json=body, headers=openai_headers())
    content = answer.json()["choices"][0]["message"]["content"]
    assert httpx.Response(200, content=content).json() == {"title": "echo: hi", "tags": ["a"]}
    tool = {"name": "t", "input_schema": SCHEMA}
    claude = await http.post(
        ANTHROPIC, headers=anthropic_headers(),
        json={"model": "m", "max_tokens": 10, "messages": body["messages"], "tools": [tool],
              "tool_choice": {"type": "tool", "name": "t"}},
    )  # fmt: skip
    assert claude.json()["stop_reason"] == "tool_use"
    assert claude.json()["content"][0]["input"] == {"title": "echo: hi", "tags": ["a"]}


async def test_unknown_keys_get_each_providers_401(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    openai = await http.post(OPENAI, json=body, headers=openai_headers("sk-wrong-key-1234567"))
    assert openai.status_code == 401
    assert openai.json()["error"]["code"] == "invalid_api_key"
    assert "sk-" in openai.json()["error"]["message"]  # masked, as OpenAI shows it
    assert "wrong-key" not in openai.json()["error"]["message"]
    anthropic = await http.post(ANTHROPIC, json=body, headers=anthropic_headers("nope"))
    assert anthropic.status_code == 401
    assert anthropic.json() == {
        "type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}
    }  # fmt: skip


async def test_bad_requests_and_strict_schemas_are_400s(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_ai_key(KEY)
    loose = {"type": "object", "properties": {"a": {"type": "string"}}}
    strict = {"type": "json_schema", "json_schema": {"name": "x", "schema": loose, "strict": True}}
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}],
            "response_format": strict}  # fmt: skip
    refused = await http.post(OPENAI, json=body, headers=openai_headers())
    assert refused.status_code == 400
    assert refused.json()["error"]["param"] == "response_format"
    assert "additionalProperties" in refused.json()["error"]["message"]
    no_version = await http.post(ANTHROPIC, json=body, headers={"x-api-key": KEY})
    assert no_version.status_code == 400
    assert no_version.json()["error"]["type"] == "invalid_request_error"
    no_max = await http.post(
        ANTHROPIC, json={"model": "m", "messages": []}, headers=anthropic_headers()
    )
    assert no_max.json()["error"]["message"] == "max_tokens: Field required"


async def test_past_the_minutes_requests_a_429_until_the_window_resets(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.reset(EmulatorConfig(ai_requests_per_minute=1))
    emulator.add_ai_key(KEY)
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    assert (await http.post(ANTHROPIC, json=body, headers=anthropic_headers())).status_code == 200
    limited = await http.post(ANTHROPIC, json=body, headers=anthropic_headers())
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "rate_limit_error"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["anthropic-ratelimit-requests-remaining"] == "0"
    assert limited.headers["anthropic-ratelimit-requests-reset"].endswith("Z")
    emulator.advance(timedelta(minutes=1))
    assert (await http.post(ANTHROPIC, json=body, headers=anthropic_headers())).status_code == 200


async def test_queued_faults_answer_with_each_providers_error_body(
    emulator: EmulatorHandle, http: httpx.AsyncClient
) -> None:
    emulator.add_ai_key(KEY)
    emulator.fail_next("POST", ANTHROPIC, status=529)
    emulator.fail_next("POST", OPENAI, status=500)
    body = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]}
    overloaded = await http.post(ANTHROPIC, json=body, headers=anthropic_headers())
    assert overloaded.status_code == 529
    assert overloaded.json()["error"]["type"] == "overloaded_error"
    failed = await http.post(OPENAI, json=body, headers=openai_headers())
    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "server_error"
    assert emulator.count("ai.completion") == 0
