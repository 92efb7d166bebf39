"""The `ai.generate` node type: its parameters, palette entry and output."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, Field, model_validator

from activities.base import action_node_type, duration_plus
from app.language.node_type import Parameters
from app.language.parameter_validators import (
    check_json_schema,
    exactly_one,
    max_length_unless_templated,
    pattern_unless_templated,
)

MAX_TEXT = 1_000_000
"""Characters of one prompt or message: large documents fit, a run's payload still bounds it."""
MAX_MESSAGES = 1000
MAX_OUTPUT_TOKENS = 1_000_000

Text = Annotated[str, max_length_unless_templated(MAX_TEXT)]


class Message(Parameters):
    """One turn of the conversation sent to the model."""

    role: Literal["user", "assistant"] = Field(
        description="`user` for what the model answers, `assistant` for its earlier answers."
    )
    content: Text = Field(
        min_length=1,
        description="The text of the turn; may hold templates.",
        json_schema_extra={"examples": ["Summarise: {{ nodes.fetch.body.text }}"]},
    )


class AiGenerateParameters(Parameters):
    """Parameters of the `ai.generate` node."""

    model: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The provider's model name.",
        json_schema_extra={
            "examples": ["gpt-4o-mini", "claude-sonnet-4-5", "mistral-small-latest"]
        },
    )
    system: Text | None = Field(
        default=None,
        description="Instructions for the model (the system prompt).",
        json_schema_extra={"examples": ["You write short, friendly posts for our brand."]},
    )
    prompt: Text | None = Field(
        default=None,
        description="The user's message; give this or `messages`.",
        json_schema_extra={"examples": ["Draft a post announcing {{ trigger.title }}"]},
    )
    messages: list[Message] | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_MESSAGES,
        description="A whole conversation, oldest first, ending with a `user` turn; give this "
        "or `prompt`.",
    )
    temperature: float | None = Field(
        default=None,
        ge=0,
        le=2,
        description="Sampling temperature (0 to 2; Anthropic takes 0 to 1). Unset: the "
        "provider's default.",
    )
    max_tokens: int = Field(
        default=1024,
        ge=1,
        le=MAX_OUTPUT_TOKENS,
        description="The most tokens the answer may have.",
    )
    response_schema: Annotated[dict[str, Any], AfterValidator(check_json_schema)] | None = Field(
        default=None,
        description="A JSON Schema the answer must match: the answer is asked for as JSON "
        "(OpenAI's `response_format` `json_schema`; Anthropic through a forced tool), "
        "checked against the schema, and given as `json`; an answer that does not match "
        "fails the node with `AiInvalidOutput`.",
        json_schema_extra={
            "examples": [
                {
                    "type": "object",
                    "properties": {"text": {"type": "string", "maxLength": 280}},
                    "required": ["text"],
                    "additionalProperties": False,
                }
            ]
        },
    )
    schema_name: Annotated[
        str,
        pattern_unless_templated(
            r"[A-Za-z0-9_-]{1,64}", "must be 1 to 64 letters, digits, '_' or '-'"
        ),
    ] = Field(
        default="answer",
        description="What the response schema is called (OpenAI's schema name, Anthropic's "
        "tool name).",
    )
    strict: bool = Field(
        default=False,
        description="OpenAI-compatible providers: ask for strict schema adherence "
        "(every object then needs `additionalProperties: false` and all its keys required).",
    )
    timeout: timedelta = Field(
        default=timedelta(minutes=2),
        gt=timedelta(0),
        le=timedelta(minutes=10),
        description="How long the provider may take to answer, at most 10 minutes (ISO 8601 "
        "duration such as `PT2M`, or seconds).",
        json_schema_extra={"examples": ["PT2M"]},
    )

    @model_validator(mode="after")
    def _prompt_or_messages(self) -> Self:
        exactly_one(self, ("prompt", "messages"))
        return self


_OUTPUT: Mapping[str, Any] = {
    "type": "object",
    "properties": {
        "text": {"type": "string", "description": "The answer's text (with a schema: its JSON)."},
        "json": {"description": "With response_schema: the answer, checked; else null."},
        "model": {"type": "string", "description": "The model that answered, as it names itself."},
        "finish_reason": {
            "type": "string",
            "description": "Why the answer ended, as the provider says (`stop`, `end_turn`, "
            "`tool_use`, `length`, `max_tokens`...).",
        },
        "usage": {
            "type": "object",
            "properties": {
                "input_tokens": {"type": "integer"},
                "output_tokens": {"type": "integer"},
                "total_tokens": {"type": "integer"},
            },
            "required": ["input_tokens", "output_tokens", "total_tokens"],
        },
        "provider": {"type": "string", "enum": ["openai", "anthropic"]},
    },
    "required": ["text", "json", "model", "finish_reason", "usage", "provider"],
}

NODE_TYPES = (
    action_node_type(
        "ai",
        "ai.generate",
        "Generate with AI",
        "Ask a language model through an AI account (OpenAI, Mistral, Gemini, a local server, "
        "Anthropic): a system prompt and a prompt or conversation, optionally an answer "
        "matching a JSON Schema. Rate limits and provider outages are retried when the "
        "provider says; the output carries the token usage.",
        AiGenerateParameters,
        _OUTPUT,
        default_timeout=timedelta(minutes=2, seconds=15),
        timeout_needed=duration_plus("timeout", timedelta(seconds=15)),
    ),
)
