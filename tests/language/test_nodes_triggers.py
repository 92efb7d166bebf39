"""Trigger node types: `trigger.manual`, `trigger.schedule` and `trigger.webhook` parameters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.language.node_type import NodeType
from app.language.nodes import triggers
from app.language.nodes.triggers import (
    ManualTriggerParameters,
    PollTriggerParameters,
    ScheduleTriggerParameters,
    WebhookTriggerParameters,
)
from tests.utils.parameters import errors, locs

NODE_TYPES = {node_type.type: node_type for node_type in triggers.NODE_TYPES}


# The module


def test_module_defines_the_four_triggers() -> None:
    assert set(NODE_TYPES) == {
        "trigger.manual",
        "trigger.schedule",
        "trigger.webhook",
        "trigger.poll",
    }


@pytest.mark.parametrize("node_type", triggers.NODE_TYPES, ids=lambda t: t.type)
def test_triggers_start_runs_from_one_out_handle(node_type: NodeType) -> None:
    assert (node_type.kind, node_type.category, node_type.handles) == (
        "trigger",
        "trigger",
        ("out",),
    )


# trigger.manual


def test_manual_needs_no_parameters() -> None:
    assert ManualTriggerParameters.model_validate({}).input_schema is None


def test_manual_accepts_a_json_schema_for_its_input() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert ManualTriggerParameters.model_validate({"input_schema": schema}).input_schema == schema


def test_manual_refuses_an_invalid_json_schema_and_says_where() -> None:
    schema = {"type": "object", "properties": {"n": {"minLength": -1}}}
    [(loc, message)] = errors(ManualTriggerParameters, {"input_schema": schema})
    assert loc == ("input_schema",)
    assert "-1 is less than the minimum of 0" in message
    assert "$.properties.n.minLength" in message


def test_manual_refuses_a_schema_that_is_not_an_object() -> None:
    assert locs(ManualTriggerParameters, {"input_schema": ["string"]}) == [("input_schema",)]


# trigger.schedule: choosing the times


@pytest.mark.parametrize(
    "times",
    [
        {"cron": ["0 9 * * MON-FRI"]},
        {"interval": {"every": "PT15M"}},
        {"calendar": [{"hour": 9}]},
    ],
    ids=["cron", "interval", "calendar"],
)
def test_schedule_takes_one_way_of_giving_times(times: dict[str, Any]) -> None:
    ScheduleTriggerParameters.model_validate(times)


def test_schedule_defaults() -> None:
    parameters = ScheduleTriggerParameters.model_validate({"cron": ["@daily"]})
    assert parameters.timezone == "UTC"
    assert parameters.jitter is None
    assert parameters.overlap == "skip"
    assert parameters.catchup_window == timedelta(minutes=1)
    assert parameters.input is None


def test_schedule_accepts_every_option() -> None:
    parameters = ScheduleTriggerParameters.model_validate(
        {
            "interval": {"every": "P1D", "offset": "PT9H"},
            "timezone": "Europe/Paris",
            "jitter": "PT30S",
            "overlap": "buffer_one",
            "catchup_window": "PT1H",
            "start_at": "2025-01-01T00:00:00Z",
            "end_at": "2025-12-31T00:00:00+01:00",
            "input": {"report": "daily"},
        }
    )
    assert parameters.interval is not None
    assert parameters.interval.offset == timedelta(hours=9)
    assert parameters.start_at == datetime(2025, 1, 1, tzinfo=UTC)


def test_schedule_without_times_is_refused_as_a_whole() -> None:
    [(loc, message)] = errors(ScheduleTriggerParameters, {"timezone": "UTC"})
    assert loc == ()
    assert "cron, interval or calendar" in message


def test_schedule_with_two_ways_of_giving_times_is_refused_on_the_second() -> None:
    parameters = {"cron": ["@daily"], "calendar": [{"hour": 9}]}
    assert locs(ScheduleTriggerParameters, parameters) == [("calendar",)]


# trigger.schedule: cron


@pytest.mark.parametrize(
    "expression",
    [
        "* * * * *",
        "0 9 * * 1-5",
        "*/15 * * * *",
        "0 0-23/2 * * *",
        "5,35 8-18 1,15 */3 0",
        "0 9 * JAN-MAR MON-FRI",
        "0 9 * jan sun",
        "30 23 31 12 6",
        "10/5 * * * *",
        "  0   9 * * *  ",
        "@hourly",
        "@daily",
        "@weekly",
        "@monthly",
        "@yearly",
    ],
)
def test_cron_accepts_standard_syntax(expression: str) -> None:
    ScheduleTriggerParameters.model_validate({"cron": [expression]})


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("60 * * * *", "minute field: 60 is out of range 0-59"),
        ("* 24 * * *", "hour field: 24 is out of range 0-23"),
        ("* * 0 * *", "day of month field: 0 is out of range 1-31"),
        ("* * 32 * *", "day of month field: 32 is out of range 1-31"),
        ("* * * 13 *", "month field: 13 is out of range 1-12"),
        ("* * * * 7", "day of week field: 7 is out of range 0-6"),
        ("* * * FOO *", "month field: 'FOO' is not a number"),
        ("* * * * MON-XYZ", "day of week field: 'XYZ' is not a number"),
        ("* * * JAN *x", "day of week field: '*x' is not a number"),
        ("*/0 * * * *", "step in '*/0'"),
        ("*/x * * * *", "step in '*/x'"),
        ("5-1 * * * *", "range '5-1' ends before it starts"),
        ("1,,2 * * * *", "minute field: '' is empty or malformed"),
        ("-5 * * * *", "minute field: '-5' is empty or malformed"),
        ("* * * *", "has 5 fields"),
        ("* * * * * *", "has 5 fields"),
        ("", "has 5 fields"),
        ("@often", "unknown cron macro '@often'"),
    ],
)
def test_cron_names_the_wrong_field(expression: str, problem: str) -> None:
    [(loc, message)] = errors(ScheduleTriggerParameters, {"cron": ["@daily", expression]})
    assert loc == ("cron", 1)
    assert problem in message


@pytest.mark.parametrize("count", [0, 11])
def test_cron_takes_one_to_ten_expressions(count: int) -> None:
    assert locs(ScheduleTriggerParameters, {"cron": ["@daily"] * count}) == [("cron",)]


# trigger.schedule: interval


def test_interval_offset_defaults_to_zero() -> None:
    parameters = ScheduleTriggerParameters.model_validate({"interval": {"every": 3600}})
    assert parameters.interval is not None
    assert parameters.interval.offset == timedelta(0)


@pytest.mark.parametrize("every", ["PT59S", "P366D", 0])
def test_interval_is_one_minute_to_a_year(every: Any) -> None:
    parameters = {"interval": {"every": every}}
    assert locs(ScheduleTriggerParameters, parameters) == [("interval", "every")]


def test_interval_offset_is_shorter_than_the_period() -> None:
    parameters = {"interval": {"every": "PT1H", "offset": "PT1H"}}
    assert locs(ScheduleTriggerParameters, parameters) == [("interval", "offset")]


def test_interval_offset_is_not_negative() -> None:
    parameters = {"interval": {"every": "PT1H", "offset": -60}}
    assert locs(ScheduleTriggerParameters, parameters) == [("interval", "offset")]


# trigger.schedule: calendar


def test_calendar_fields_default_to_midnight_every_day() -> None:
    parameters = ScheduleTriggerParameters.model_validate({"calendar": [{}]})
    assert parameters.calendar is not None
    entry = parameters.calendar[0]
    assert (entry.minute, entry.hour, entry.day_of_month, entry.month, entry.day_of_week) == (
        0,
        0,
        "*",
        "*",
        "*",
    )


def test_calendar_fields_take_a_number_a_list_or_any() -> None:
    entry = {"minute": 30, "hour": [9, 17], "day_of_month": "*", "month": [1, 7], "day_of_week": 1}
    parameters = ScheduleTriggerParameters.model_validate({"calendar": [entry]})
    assert parameters.calendar is not None
    assert parameters.calendar[0].model_dump() == entry


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("minute", 60, "minute 60 is out of range 0-59"),
        ("hour", [9, 24], "hour 24 is out of range 0-23"),
        ("day_of_month", 0, "day of month 0 is out of range 1-31"),
        ("month", 13, "month 13 is out of range 1-12"),
        ("day_of_week", 7, "day of week 7 is out of range 0-6"),
        ("hour", [], "give at least one hour"),
        ("hour", "9", "the hour must be a whole number"),
        ("minute", True, "the minute must be a whole number"),
        ("month", "JAN", "the month must be a whole number"),
    ],
)
def test_calendar_names_the_wrong_field(field: str, value: Any, problem: str) -> None:
    [(loc, message)] = errors(ScheduleTriggerParameters, {"calendar": [{field: value}]})
    assert loc == ("calendar", 0, field)
    assert problem in message


def test_calendar_refuses_unknown_fields() -> None:
    parameters = {"calendar": [{"second": 5}]}
    assert locs(ScheduleTriggerParameters, parameters) == [("calendar", 0, "second")]


# trigger.schedule: the other options


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "../etc/passwd", "Europe"])
def test_schedule_timezone_is_an_iana_zone(zone: str) -> None:
    assert locs(ScheduleTriggerParameters, {"cron": ["@daily"], "timezone": zone}) == [
        ("timezone",)
    ]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("jitter", "P2D"),
        ("jitter", -1),
        ("catchup_window", "PT5S"),
        ("catchup_window", "P400D"),
        ("overlap", "queue"),
        ("start_at", "2025-01-01T00:00:00"),
        ("end_at", "not a date"),
        ("input", "not an object"),
    ],
)
def test_schedule_option_out_of_bounds_is_refused(field: str, value: Any) -> None:
    assert locs(ScheduleTriggerParameters, {"cron": ["@daily"], field: value}) == [(field,)]


def test_schedule_ends_after_it_starts() -> None:
    parameters = {
        "cron": ["@daily"],
        "start_at": "2025-06-01T00:00:00Z",
        "end_at": "2025-06-01T00:00:00Z",
    }
    assert locs(ScheduleTriggerParameters, parameters) == [("end_at",)]


def test_schedule_input_cannot_override_scheduled_time() -> None:
    parameters = {"cron": ["@daily"], "input": {"scheduled_time": "yesterday"}}
    assert locs(ScheduleTriggerParameters, parameters) == [("input", "scheduled_time")]


def test_schedule_output_has_the_scheduled_time() -> None:
    output = NODE_TYPES["trigger.schedule"].output
    assert output["properties"]["scheduled_time"]["format"] == "date-time"


# trigger.webhook


def test_webhook_defaults_to_signed_posts_answered_at_once() -> None:
    parameters = WebhookTriggerParameters.model_validate({})
    assert parameters.method == "POST"
    assert parameters.authentication == "hmac_sha256"
    assert parameters.signature_header == "X-Hub-Signature-256"
    assert parameters.signature_prefix == "sha256="
    assert parameters.token_header == "X-Webhook-Token"
    assert parameters.delivery_id_header == "X-Delivery-Id"
    assert parameters.response_mode == "accepted"
    assert parameters.response_timeout == timedelta(seconds=10)
    assert parameters.max_body_bytes == 1024 * 1024
    assert (parameters.signature_scheme, parameters.signature_encoding) == ("body", "hex")
    assert parameters.signature_tolerance == timedelta(minutes=5)


def test_webhook_accepts_every_option() -> None:
    WebhookTriggerParameters.model_validate(
        {
            "method": "PUT",
            "authentication": "token",
            "signature_header": "X-Signature",
            "signature_prefix": "",
            "token_header": "Authorization",
            "delivery_id_header": None,
            "response_mode": "wait_for_result",
            "response_timeout": "PT30S",
            "max_body_bytes": 10 * 1024 * 1024,
            "signature_scheme": "timestamped",
            "signature_encoding": "base64",
            "signature_tolerance": "PT1H",
        }
    )


@pytest.mark.parametrize("field", ["secret", "token", "hmac_secret"])
def test_webhook_secret_is_never_a_parameter(field: str) -> None:
    assert locs(WebhookTriggerParameters, {field: "hunter2"}) == [(field,)]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "DELETE"),
        ("authentication", "basic"),
        ("signature_header", "X Signature"),
        ("token_header", ""),
        ("delivery_id_header", "X-Id:"),
        ("response_mode", "sync"),
        ("response_timeout", "PT31S"),
        ("response_timeout", 0),
        ("max_body_bytes", 10 * 1024 * 1024 + 1),
        ("max_body_bytes", 0),
        ("signature_scheme", "stripe"),
        ("signature_encoding", "base32"),
        ("signature_tolerance", "PT2H"),
        ("signature_tolerance", 0),
    ],
)
def test_webhook_option_out_of_bounds_is_refused(field: str, value: Any) -> None:
    assert locs(WebhookTriggerParameters, {field: value}) == [(field,)]


def test_webhook_output_is_the_request() -> None:
    properties = NODE_TYPES["trigger.webhook"].output["properties"]
    assert set(properties) == {"headers", "body", "query", "method"}


def test_webhook_without_authentication_is_refused_pointing_at_the_token_option() -> None:
    [(loc, message)] = errors(WebhookTriggerParameters, {"authentication": "none"})
    assert loc == ("authentication",)
    assert "use 'token'" in message


def test_webhook_saved_without_authentication_is_read_as_signed() -> None:
    stored = WebhookTriggerParameters.of_stored_plan({"authentication": "none", "method": "PUT"})
    assert (stored.authentication, stored.method) == ("hmac_sha256", "PUT")


def test_webhook_timestamped_scheme_takes_no_prefix() -> None:
    parameters = {"signature_scheme": "timestamped", "signature_prefix": "sha256="}
    assert locs(WebhookTriggerParameters, parameters) == [("signature_prefix",)]


# trigger.poll

_SOURCE = {"type": "http.request", "parameters": {"method": "GET", "url": "https://a.example"}}


def test_poll_defaults_read_an_http_list_of_items_with_ids_from_now_on() -> None:
    parameters = PollTriggerParameters.model_validate(
        {"interval": {"every": "PT5M"}, "source": _SOURCE}
    )
    assert (parameters.items, parameters.item_id, parameters.order) == (
        "body",
        "id",
        "newest_first",
    )
    assert (parameters.start_with, parameters.max_runs_per_poll) == ("new_items", 10)


@pytest.mark.parametrize(
    ("parameters", "loc"),
    [
        ({"source": _SOURCE}, ()),
        ({"interval": {"every": "PT5M"}, "cron": ["* * * * *"], "source": _SOURCE}, ("cron",)),
        ({"interval": {"every": "PT30S"}, "source": _SOURCE}, ("interval", "every")),
        ({"interval": {"every": "PT5M"}}, ("source",)),
        ({"interval": {"every": "PT5M"}, "source": {"parameters": {}}}, ("source", "type")),
        ({"interval": {"every": "PT5M"}, "source": _SOURCE, "items": "a..b"}, ("items",)),
        ({"interval": {"every": "PT5M"}, "source": _SOURCE, "item_id": ""}, ("item_id",)),
        (
            {"interval": {"every": "PT5M"}, "source": _SOURCE, "max_runs_per_poll": 0},
            ("max_runs_per_poll",),
        ),
        ({"interval": {"every": "PT5M"}, "source": _SOURCE, "start_with": "all"}, ("start_with",)),
    ],
)
def test_poll_refuses(parameters: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert loc in locs(PollTriggerParameters, parameters)


def test_poll_output_is_the_item_with_its_id() -> None:
    properties = NODE_TYPES["trigger.poll"].output["properties"]
    assert set(properties) == {"item", "item_id", "polled_at"}
