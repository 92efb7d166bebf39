"""The two chat APIs `ai.generate` speaks: what to send and how to read the answer.

OpenAI's Chat Completions (`POST {base_url}/chat/completions`, `Authorization: Bearer`),
which Mistral, Gemini's OpenAI-compatible endpoint and local servers (Ollama, vLLM, llama.cpp)
copy; structured output through `response_format` `json_schema`. Anthropic's Messages
(`POST {base_url}/v1/messages`, `x-api-key`); structured output through one tool the model
must call, whose input is the answer. Either way the answer is checked against the schema
here, whatever the provider promised.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import jsonschema

from activities.ai.errors import MAX_MESSAGE, AiAnswerError, AiError
from activities.ai.nodes import AiGenerateParameters
from app.contract.failures import FailureType

Provider = Literal["openai", "anthropic"]
PROVIDERS: tuple[Provider, ...] = ("openai", "anthropic")
DEFAULT_BASE_URLS: Mapping[Provider, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}
ANTHROPIC_VERSION = "2023-06-01"
_WRAPPED = "value"
"""The one property a non-object schema is wrapped in for Anthropic, whose tools take objects."""


@dataclass(frozen=True)
class AiAccount:
    """An AI account's opened credential: which API, where, and the key (never shown)."""

    provider: Provider
    base_url: str
    api_key: str = field(repr=False)


@dataclass(frozen=True)
class Call:
    """One request to send."""

    url: str
    headers: dict[str, str] = field(repr=False)
    body: dict[str, Any]


@dataclass(frozen=True)
class Answer:
    text: str
    value: Any
    model: str
    finish_reason: str
    input_tokens: int
    output_tokens: int

    def output(self, provider: Provider) -> dict[str, Any]:
        return {
            "text": self.text,
            "json": self.value,
            "model": self.model,
            "finish_reason": self.finish_reason,
            "usage": {
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "total_tokens": self.input_tokens + self.output_tokens,
            },
            "provider": provider,
        }


class ChatApi(Protocol):
    def call(self, params: AiGenerateParameters, account: AiAccount) -> Call: ...

    def error(self, status: int, body: Any, headers: Mapping[str, str]) -> AiError: ...

    def answer(self, params: AiGenerateParameters, body: Any) -> Answer: ...


def _turns(params: AiGenerateParameters) -> list[dict[str, str]]:
    if params.messages is not None:
        return [{"role": turn.role, "content": turn.content} for turn in params.messages]
    return [{"role": "user", "content": str(params.prompt)}]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _malformed(what: str) -> AiAnswerError:
    return AiAnswerError(
        f"the provider's answer has no {what}: is the account's base URL an "
        "OpenAI-compatible or Anthropic API?",
        failure=FailureType.AiBadRequest,
    )


def checked(value: Any, schema: Mapping[str, Any], name: str) -> Any:
    """`value` if it matches `schema`, else `AiAnswerError` saying where it does not."""
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(value)
    )
    if error is None:
        return value
    raise AiAnswerError(
        f"the answer does not match response_schema '{name}' at {error.json_path}: "
        f"{error.message[:MAX_MESSAGE]}",
        failure=FailureType.AiInvalidOutput,
    )


def _cut_off(params: AiGenerateParameters) -> AiAnswerError:
    return AiAnswerError(
        f"the answer was cut off at max_tokens ({params.max_tokens}) before its JSON ended: "
        "raise max_tokens",
        failure=FailureType.AiInvalidOutput,
    )


class OpenAiChat:
    """OpenAI's Chat Completions and the APIs that copy it."""

    def call(self, params: AiGenerateParameters, account: AiAccount) -> Call:
        messages = [{"role": "system", "content": params.system}] if params.system else []
        body: dict[str, Any] = {
            "model": params.model,
            "messages": [*messages, *_turns(params)],
            "max_tokens": params.max_tokens,
        }
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.response_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {
                    "name": params.schema_name,
                    "schema": params.response_schema,
                    "strict": params.strict,
                },
            }
        return Call(
            f"{account.base_url}/chat/completions",
            {"Authorization": f"Bearer {account.api_key}"},
            body,
        )

    def error(self, status: int, body: Any, headers: Mapping[str, str]) -> AiError:
        detail = _dict(body).get("error")
        if isinstance(detail, str):  # some local servers: {"error": "..."}
            detail = {"message": detail}
        detail = _dict(detail)
        kind = detail.get("code") or detail.get("type") or f"HTTP {status}"
        message = str(detail.get("message") or f"HTTP {status}")
        return AiError(
            provider="openai", status=status, kind=str(kind), message=message, headers=headers
        )

    def answer(self, params: AiGenerateParameters, body: Any) -> Answer:
        choices = _dict(body).get("choices")
        if not isinstance(choices, list) or not choices:
            raise _malformed("choices")
        choice = _dict(choices[0])
        message = _dict(choice.get("message"))
        finish = str(choice.get("finish_reason") or "")
        refusal = message.get("refusal")
        if refusal or finish == "content_filter":
            said = f": {str(refusal)[:MAX_MESSAGE]}" if refusal else " (content filter)"
            raise AiAnswerError(
                f"the model declined to answer{said}", failure=FailureType.AiRefused
            )
        text = message.get("content")
        text = text if isinstance(text, str) else ""
        value: Any = None
        if params.response_schema is not None:
            if finish == "length":
                raise _cut_off(params)
            try:
                value = json.loads(text)
            except ValueError:
                raise AiAnswerError(
                    "the answer is not JSON, though response_schema asked for it",
                    failure=FailureType.AiInvalidOutput,
                ) from None
            checked(value, params.response_schema, params.schema_name)
        usage = _dict(_dict(body).get("usage"))
        return Answer(
            text=text,
            value=value,
            model=str(_dict(body).get("model") or params.model),
            finish_reason=finish,
            input_tokens=_int(usage.get("prompt_tokens")),
            output_tokens=_int(usage.get("completion_tokens")),
        )


def _tool_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Anthropic's tools take an object: another schema is wrapped in one property."""
    if schema.get("type") == "object":
        return dict(schema)
    return {"type": "object", "properties": {_WRAPPED: schema}, "required": [_WRAPPED]}


class AnthropicMessages:
    """Anthropic's Messages API."""

    def call(self, params: AiGenerateParameters, account: AiAccount) -> Call:
        body: dict[str, Any] = {
            "model": params.model,
            "max_tokens": params.max_tokens,
            "messages": _turns(params),
        }
        if params.system:
            body["system"] = params.system
        if params.temperature is not None:
            body["temperature"] = params.temperature
        if params.response_schema is not None:
            body["tools"] = [
                {
                    "name": params.schema_name,
                    "description": "Give your whole answer as this tool's input.",
                    "input_schema": _tool_schema(params.response_schema),
                }
            ]
            body["tool_choice"] = {"type": "tool", "name": params.schema_name}
        headers = {"x-api-key": account.api_key, "anthropic-version": ANTHROPIC_VERSION}
        return Call(f"{account.base_url}/v1/messages", headers, body)

    def error(self, status: int, body: Any, headers: Mapping[str, str]) -> AiError:
        detail = _dict(_dict(body).get("error"))
        return AiError(
            provider="anthropic",
            status=status,
            kind=str(detail.get("type") or f"HTTP {status}"),
            message=str(detail.get("message") or f"HTTP {status}"),
            headers=headers,
        )

    def answer(self, params: AiGenerateParameters, body: Any) -> Answer:
        content = _dict(body).get("content")
        if not isinstance(content, list):
            raise _malformed("content")
        blocks = [_dict(block) for block in content]
        stop = str(_dict(body).get("stop_reason") or "")
        if stop == "refusal":
            raise AiAnswerError("the model declined to answer", failure=FailureType.AiRefused)
        text = "".join(str(b.get("text", "")) for b in blocks if b.get("type") == "text")
        value: Any = None
        if params.response_schema is not None:
            value = self._tool_input(params, blocks, stop)
            text = json.dumps(value, ensure_ascii=False)
        usage = _dict(_dict(body).get("usage"))
        return Answer(
            text=text,
            value=value,
            model=str(_dict(body).get("model") or params.model),
            finish_reason=stop,
            input_tokens=_int(usage.get("input_tokens")),
            output_tokens=_int(usage.get("output_tokens")),
        )

    def _tool_input(
        self, params: AiGenerateParameters, blocks: list[dict[str, Any]], stop: str
    ) -> Any:
        schema = params.response_schema or {}
        called = [
            b for b in blocks if b.get("type") == "tool_use" and b.get("name") == params.schema_name
        ]
        if not called:
            if stop == "max_tokens":
                raise _cut_off(params)
            raise AiAnswerError(
                f"the answer does not give response_schema '{params.schema_name}' (no call of "
                "its tool)",
                failure=FailureType.AiInvalidOutput,
            )
        value = called[0].get("input")
        if schema.get("type") != "object":
            value = _dict(value).get(_WRAPPED)
        return checked(value, schema, params.schema_name)


CHAT_APIS: Mapping[Provider, ChatApi] = {"openai": OpenAiChat(), "anthropic": AnthropicMessages()}
