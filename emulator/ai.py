"""Two AI providers' chat APIs, answering deterministically: OpenAI's Chat Completions
(`POST /v1/chat/completions`, which Mistral, Gemini's compatible endpoint and local servers
copy) and Anthropic's Messages (`POST /v1/messages`).

An answer echoes the last user message (`echo: <text>`); asked for structured output (OpenAI's
`response_format` `json_schema`, Anthropic's forced tool), it is the simplest instance of the
schema, its strings holding that echo. A reply a test queued replaces the next answer's text.
Errors have each provider's shape and status: 401 for a key it does not know (OpenAI's message
shows a masked key, as the real one does), 400 for a malformed request or schema, 429 past
the key's requests per minute with the providers' rate-limit headers on every answer, and the
queued faults of `emulator.faults` (5xx, 529, lost connections).
"""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import jsonschema
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from emulator.ai_state import AiState
from emulator.record import SideEffect
from emulator.state import emulator_of

router = APIRouter(tags=["ai"])

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"
AI_COMPLETION = "ai.completion"
"""Record kind: one answer given (`details`: provider, model)."""
_STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def is_ai_path(path: str) -> bool:
    return path in (OPENAI_PATH, ANTHROPIC_PATH)


def openai_error(message: str, *, type_: str, code: str | None, param: str | None = None) -> Any:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def anthropic_error(status: int, message: str) -> Any:
    return {
        "type": "error",
        "error": {"type": _STATUS_TYPES.get(status, "api_error"), "message": message},
    }


def default_body(path: str, status: int) -> Any:
    """Each provider's own error body for a queued failure of `status`."""
    if path == ANTHROPIC_PATH:
        message = "Overloaded" if status == 529 else f"HTTP {status}"
        return anthropic_error(status, message)
    return openai_error(
        "The server had an error while processing your request. Sorry about that!",
        type_="server_error" if status >= 500 else "invalid_request_error",
        code=None,
    )


def _masked(key: str) -> str:
    """How OpenAI shows a wrong key in its 401: its ends, the middle starred."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


def _echo(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content blocks
                content = " ".join(
                    str(block.get("text", "")) for block in content if isinstance(block, dict)
                )
            return f"echo: {content}"
    return "echo:"


def instance_of(schema: Any, text: str) -> Any:
    """The simplest value `schema` takes, its strings `text`: deterministic structured output."""
    if not isinstance(schema, dict):
        return text
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return instance_of(schema[key][0], text)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {name: instance_of(sub, text) for name, sub in properties.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [instance_of(schema.get("items", {}), text) for _ in range(count)]
    if kind in ("integer", "number"):
        return schema.get("minimum", 0)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    limit = schema.get("maxLength")
    return text[:limit] if isinstance(limit, int) else text


def _schema_problem(schema: Any, *, strict: bool) -> str | None:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        return error.message
    if not isinstance(schema, dict):
        return "schema must be a JSON Schema object"
    if strict:
        return _strict_problem(schema, "()")
    return None


def _strict_problem(schema: dict[str, Any], context: str) -> str | None:
    """OpenAI's rules for `strict: true`: every object closes and requires all its keys."""
    if schema.get("type") == "object":
        if schema.get("additionalProperties") is not False:
            return (
                f"In context={context}, 'additionalProperties' is required to be supplied "
                "and to be false."
            )
        properties = schema.get("properties") or {}
        missing = [name for name in properties if name not in (schema.get("required") or [])]
        if missing:
            return (
                f"In context={context}, 'required' is required to be supplied and to be an "
                f"array including every key in properties. Missing '{missing[0]}'."
            )
        for name, sub in properties.items():
            if isinstance(sub, dict) and (
                found := _strict_problem(sub, f"('properties', '{name}')")
            ):
                return found
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return _strict_problem(schema["items"], f"{context[:-1]}, 'items')")
    return None


def _words(*texts: Any) -> int:
    return sum(len(str(text).split()) for text in texts if text)


def _limit_headers(ai: AiState, key: str, provider: str) -> dict[str, str]:
    window = ai.window(key)
    remaining = max(0, ai.requests_per_minute - window.used)
    reset = ai.reset_at(key)
    if provider == "openai":
        seconds = max(0.0, (reset - ai.clock.now()).total_seconds())
        return {
            "x-ratelimit-limit-requests": str(ai.requests_per_minute),
            "x-ratelimit-remaining-requests": str(remaining),
            "x-ratelimit-reset-requests": f"{seconds:.3f}s",
        }
    return {
        "anthropic-ratelimit-requests-limit": str(ai.requests_per_minute),
        "anthropic-ratelimit-requests-remaining": str(remaining),
        "anthropic-ratelimit-requests-reset": reset.astimezone(UTC)
        .replace(microsecond=0)
        .isoformat()
        .replace("+00:00", "Z"),
    }


def _spend(ai: AiState, key: str, provider: str) -> JSONResponse | None:
    """Count one request against the key's minute; the 429 once it is spent."""
    window = ai.window(key)
    if window.used >= ai.requests_per_minute:
        headers = _limit_headers(ai, key, provider)
        seconds = max(1, int((ai.reset_at(key) - ai.clock.now()).total_seconds() + 0.999))
        headers["retry-after"] = str(seconds)
        if provider == "openai":
            body = openai_error(
                f"Rate limit reached for requests per min (RPM): Limit "
                f"{ai.requests_per_minute}, Used {window.used}, Requested 1. Please try again "
                f"in {seconds}s.",
                type_="requests",
                code="rate_limit_exceeded",
            )
        else:
            body = anthropic_error(
                429,
                "This request would exceed your organization's rate limit of "
                f"{ai.requests_per_minute} requests per minute.",
            )
        return JSONResponse(body, 429, headers)
    window.used += 1
    return None


def _record(request: Request, provider: str, body: dict[str, Any]) -> None:
    state = emulator_of(request)
    state.ai.sent.append({"provider": provider, **body})
    model = str(body.get("model"))
    state.record.add(
        SideEffect(AI_COMPLETION, model, state.clock.now(), {"provider": provider, "model": model})
    )


def _completion_id(ai: AiState, prefix: str) -> str:
    return f"{prefix}{len(ai.sent):08d}"


@router.post(OPENAI_PATH)
async def chat_completions(request: Request) -> JSONResponse:
    ai = emulator_of(request).ai
    authorization = request.headers.get("authorization", "")
    key = authorization.removeprefix("Bearer ").strip()
    if not authorization.startswith("Bearer ") or key not in ai.keys:
        message = (
            f"Incorrect API key provided: {_masked(key)}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
            if key
            else "You didn't provide an API key."
        )
        return JSONResponse(
            openai_error(message, type_="invalid_request_error", code="invalid_api_key"), 401
        )
    body = await _body(request)

    def bad(message: str, param: str | None = None) -> JSONResponse:
        error = openai_error(message, type_="invalid_request_error", code=None, param=param)
        return JSONResponse(error, 400, _limit_headers(ai, key, "openai"))

    if not isinstance(body, dict):
        return bad("We could not parse the JSON body of your request.")
    messages = body.get("messages")
    if not isinstance(body.get("model"), str) or not body["model"]:
        return bad("you must provide a model parameter", "model")
    if not isinstance(messages, list) or not messages:
        return bad("[] is too short - 'messages'", "messages")
    schema: Any = None
    response_format = body.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        schema = spec.get("schema")
        problem = _schema_problem(schema, strict=bool(spec.get("strict")))
        if problem is not None:
            name = spec.get("name", "")
            return bad(f"Invalid schema for response_format '{name}': {problem}", "response_format")
    if (refused := _spend(ai, key, "openai")) is not None:
        return refused
    _record(request, "openai", body)
    echo = _echo(messages)
    content = ai.next_reply()
    if content is None:
        content = json.dumps(instance_of(schema, echo)) if schema is not None else echo
    prompt_tokens = _words(*(m.get("content") for m in messages if isinstance(m, dict)))
    completion_tokens = _words(content)
    answer = {
        "id": _completion_id(ai, "chatcmpl-emu"),
        "object": "chat.completion",
        "created": int(ai.clock.now().timestamp()),
        "model": body["model"],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return JSONResponse(answer, 200, _limit_headers(ai, key, "openai"))


@router.post(ANTHROPIC_PATH)
async def messages(request: Request) -> JSONResponse:
    ai = emulator_of(request).ai
    key = request.headers.get("x-api-key", "")
    if key not in ai.keys:
        return JSONResponse(anthropic_error(401, "invalid x-api-key"), 401)
    if not request.headers.get("anthropic-version"):
        return JSONResponse(anthropic_error(400, "anthropic-version: header is required"), 400)
    body = await _body(request)

    def bad(message: str) -> JSONResponse:
        return JSONResponse(
            anthropic_error(400, message), 400, _limit_headers(ai, key, "anthropic")
        )

    if not isinstance(body, dict):
        return bad("There was an issue with your request body: not valid JSON")
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return bad(f"{name}: Field required")
    if not isinstance(body["messages"], list) or not body["messages"]:
        return bad("messages: at least one message is required")
    tools = body.get("tools") or []
    for index, tool in enumerate(tools):
        schema = tool.get("input_schema") if isinstance(tool, dict) else None
        if not isinstance(schema, dict) or schema.get("type") != "object":
            return bad(f"tools.{index}.custom.input_schema.type: Input should be 'object'")
        if (problem := _schema_problem(schema, strict=False)) is not None:
            return bad(f"tools.{index}.custom.input_schema: JSON schema is invalid - {problem}")
    if (refused := _spend(ai, key, "anthropic")) is not None:
        return refused
    _record(request, "anthropic", body)
    echo = _echo(body["messages"])
    reply = ai.next_reply()
    forced = body.get("tool_choice") or {}
    tool = next((t for t in tools if t.get("name") == forced.get("name")), None)
    content: list[dict[str, Any]]
    if tool is not None:
        value: Any = instance_of(tool["input_schema"], echo)
        if reply is not None:
            try:
                value = json.loads(reply)
            except ValueError:
                value = None
        content = (
            [{"type": "tool_use", "id": "toolu_emu", "name": tool["name"], "input": value}]
            if isinstance(value, dict)
            else [{"type": "text", "text": str(reply)}]
        )
        stop_reason = "tool_use" if isinstance(value, dict) else "end_turn"
    else:
        content = [{"type": "text", "text": echo if reply is None else reply}]
        stop_reason = "end_turn"
    input_tokens = _words(
        body.get("system"), *(m.get("content") for m in body["messages"] if isinstance(m, dict))
    )
    output_tokens = _words(
        *(block.get("text") or json.dumps(block.get("input")) for block in content)
    )
    answer = {
        "id": _completion_id(ai, "msg_emu"),
        "type": "message",
        "role": "assistant",
        "model": body["model"],
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
    }
    return JSONResponse(answer, 200, _limit_headers(ai, key, "anthropic"))
