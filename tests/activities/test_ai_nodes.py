"""The `ai.generate` node's parameters and how its activity reads providers' rate-limit
headers (its runs: tests/activities/test_ai_runs.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from activities.ai.errors import duration_seconds, rate_limit_wait
from activities.ai.nodes import NODE_TYPES, AiGenerateParameters
from tests.utils.parameters import locs

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def error_locs(data: dict[str, Any]) -> list[tuple[str | int, ...]]:
    return locs(AiGenerateParameters, data)


def test_ai_node_is_an_action_needing_an_ai_account() -> None:
    (node,) = NODE_TYPES
    assert (node.type, node.kind, node.category) == ("ai.generate", "action", "ai")
    assert (node.activity, node.account, node.account_required) == ("ai.generate", "ai", True)
    assert "usage" in node.output["required"]
    assert node.default_timeout_for({"timeout": "PT5M"}) == 315


def test_a_prompt_or_messages_exactly_one() -> None:
    assert error_locs({"model": "m"}) == [()]
    both = {"model": "m", "prompt": "hi", "messages": [{"role": "user", "content": "hi"}]}
    assert error_locs(both) == [("messages",)]
    assert AiGenerateParameters.model_validate({"model": "m", "prompt": "hi"}).max_tokens == 1024


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"temperature": 3}, ("temperature",)),
        ({"max_tokens": 0}, ("max_tokens",)),
        ({"response_schema": {"type": "nothing"}}, ("response_schema",)),
        ({"response_schema": {"$ref": "https://example.com/s.json"}}, ("response_schema",)),
        ({"schema_name": "has spaces"}, ("schema_name",)),
        ({"timeout": "PT11M"}, ("timeout",)),
        (
            {"messages": [{"role": "system", "content": "no"}], "prompt": None},
            ("messages", 0, "role"),
        ),
    ],
)
def test_bad_parameters_are_named(data: dict[str, Any], where: tuple[str | int, ...]) -> None:
    assert where in error_locs({"model": "m", "prompt": "hi", **data})


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1), ("6m0s", 360), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("soon", None), ("", None)],
)
def test_openai_reset_durations(text: str, seconds: float | None) -> None:
    assert duration_seconds(text) == seconds


def test_retry_after_comes_first() -> None:
    headers = {"Retry-After": "7", "x-ratelimit-reset-requests": "1m0s"}
    assert rate_limit_wait(headers, NOW) == 7


def test_the_spent_limit_decides_over_the_others() -> None:
    headers = {
        "x-ratelimit-remaining-requests": "10",
        "x-ratelimit-reset-requests": "20m0s",
        "x-ratelimit-remaining-tokens": "0",
        "x-ratelimit-reset-tokens": "6s",
    }
    assert rate_limit_wait(headers, NOW) == 6


def test_anthropic_resets_are_times() -> None:
    headers = {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-01-01T12:00:30Z",
        "anthropic-ratelimit-output-tokens-remaining": "5000",
        "anthropic-ratelimit-output-tokens-reset": "2026-01-01T12:05:00Z",
    }
    assert rate_limit_wait(headers, NOW) == 30


def test_without_spent_limits_the_latest_reset_and_without_headers_none() -> None:
    headers = {"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "9s"}
    assert rate_limit_wait(headers, NOW) == 9
    assert rate_limit_wait({"x-ratelimit-reset-tokens": "whenever"}, NOW) is None
    assert rate_limit_wait({}, NOW) is None
