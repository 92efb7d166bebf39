"""Trigger node types: what starts a run (by hand or API, on a schedule, from a webhook, or
one per new item of a polled source)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, model_validator

from app.language.expressions import ExpressionError, compile_expression
from app.language.node_type import NodeType, Parameters
from app.language.nodes.fields import (
    MAX_DURATION,
    CalendarDay,
    CalendarHour,
    CalendarMinute,
    CalendarMonth,
    CalendarWeekday,
    CronExpression,
    Strict,
)
from app.language.parameter_validators import (
    TimeZoneName,
    check_json_schema,
    exactly_one,
    field_error,
    problem,
)

MIB = 1024 * 1024

HeaderName = Annotated[
    str, Field(min_length=1, max_length=100, pattern=r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
]
"""An HTTP header name (RFC 9110 token characters)."""


EARLIEST_SCHEDULE_MOMENT = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_SCHEDULE_MOMENT = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def _within_schedule_range(moment: datetime) -> datetime:
    # Temporal keeps schedule bounds as Unix timestamps; a moment whose UTC time falls
    # outside 1970-9999 is refused there, or cannot even be converted here.
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST_SCHEDULE_MOMENT <= utc <= LATEST_SCHEDULE_MOMENT:
        raise ValueError("must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
    return moment


ScheduleMoment = Annotated[AwareDatetime, AfterValidator(_within_schedule_range)]
"""A schedule bound: an ISO 8601 moment with a time zone, in 1970-9999 (UTC)."""


class ManualTriggerParameters(Parameters):
    """Parameters of `trigger.manual`."""

    input_schema: Annotated[dict[str, Any], AfterValidator(check_json_schema)] | None = Field(
        default=None,
        description=(
            "Optional JSON Schema (draft 2020-12) the run input must satisfy; "
            "runs started with other input are refused. Leave empty to accept any input."
        ),
        json_schema_extra={
            "examples": [
                {
                    "type": "object",
                    "properties": {"text": {"type": "string", "maxLength": 280}},
                    "required": ["text"],
                }
            ]
        },
    )


class Interval(Strict):
    """Every fixed period, counted from the Unix epoch plus an offset."""

    every: timedelta = Field(
        ge=timedelta(minutes=1),
        le=MAX_DURATION,
        description="How often to run: at least 1 minute, at most 365 days.",
        json_schema_extra={"examples": ["PT15M", "PT1H", "P1D"]},
    )
    offset: timedelta = Field(
        default=timedelta(0),
        ge=timedelta(0),
        description=(
            "Shift within each period, shorter than `every` "
            "(e.g. every P1D with offset PT9H runs at 09:00 UTC)."
        ),
        json_schema_extra={"examples": ["PT0S", "PT9H"]},
    )

    @model_validator(mode="after")
    def _offset_within_period(self) -> Self:
        if self.offset >= self.every:
            raise field_error(self, ("offset",), "the offset must be shorter than the period")
        return self


class CalendarEntry(Strict):
    """Times matching every given field; `*` means any value."""

    minute: CalendarMinute = Field(default=0, description="Minute 0-59, a list of them, or *.")
    hour: CalendarHour = Field(default=0, description="Hour 0-23, a list of them, or *.")
    day_of_month: CalendarDay = Field(
        default="*", description="Day of the month 1-31, a list of them, or *."
    )
    month: CalendarMonth = Field(default="*", description="Month 1-12, a list of them, or *.")
    day_of_week: CalendarWeekday = Field(
        default="*", description="Day of the week 0-6 (0 is Sunday), a list of them, or *."
    )


class ScheduleTriggerParameters(Parameters):
    """Parameters of `trigger.schedule`: exactly one of `cron`, `interval` or `calendar`."""

    cron: list[CronExpression] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description=(
            "Cron expressions (minute hour day-of-month month day-of-week), or @hourly, "
            "@daily, @weekly, @monthly, @yearly; the run starts at every time any matches."
        ),
        json_schema_extra={"examples": [["0 9 * * MON-FRI"], ["*/15 * * * *", "@daily"]]},
    )
    interval: Interval | None = Field(
        default=None,
        description="Run at a fixed period instead of cron times.",
        json_schema_extra={"examples": [{"every": "PT1H"}, {"every": "P1D", "offset": "PT9H"}]},
    )
    calendar: list[CalendarEntry] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Calendar times, a structured alternative to cron.",
        json_schema_extra={"examples": [[{"minute": 30, "hour": [9, 17], "day_of_week": 1}]]},
    )
    timezone: TimeZoneName = Field(
        default="UTC",
        description="IANA time zone the cron and calendar times are read in.",
        json_schema_extra={"examples": ["UTC", "Europe/Paris", "America/New_York"]},
    )
    jitter: timedelta | None = Field(
        default=None,
        ge=timedelta(0),
        le=timedelta(days=1),
        description="Start each run up to this much later, at random, to spread load (≤ 1 day).",
        json_schema_extra={"examples": ["PT30S", "PT5M"]},
    )
    overlap: Literal[
        "skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"
    ] = Field(
        default="skip",
        description=(
            "What to do when a run is due while the previous one is still running: skip it, "
            "queue one or all, cancel or terminate the running one, or run both."
        ),
    )
    catchup_window: timedelta = Field(
        default=timedelta(minutes=1),
        ge=timedelta(seconds=10),
        le=MAX_DURATION,
        description=(
            "After an outage, runs missed within this window are still started "
            "(10 seconds to 365 days)."
        ),
        json_schema_extra={"examples": ["PT1M", "PT1H"]},
    )
    start_at: ScheduleMoment | None = Field(
        default=None,
        description="No runs before this moment (ISO 8601 with a time zone).",
        json_schema_extra={"examples": ["2025-01-01T00:00:00Z"]},
    )
    end_at: ScheduleMoment | None = Field(
        default=None,
        description="No runs after this moment (ISO 8601 with a time zone); after `start_at`.",
        json_schema_extra={"examples": ["2025-12-31T23:59:59+01:00"]},
    )
    input: dict[str, Any] | None = Field(
        default=None,
        description=(
            "Object every scheduled run receives as its trigger output, next to `scheduled_time`."
        ),
        json_schema_extra={"examples": [{"report": "daily"}]},
    )

    @model_validator(mode="after")
    def _one_spec_and_ordered_bounds(self) -> Self:
        exactly_one(self, ("cron", "interval", "calendar"))
        if self.start_at and self.end_at and self.end_at <= self.start_at:
            raise field_error(self, ("end_at",), "end_at must be after start_at")
        if self.input and "scheduled_time" in self.input:
            raise field_error(
                self, ("input", "scheduled_time"), "scheduled_time is set by the schedule"
            )
        return self


MAX_POLL_ITEMS = 1_000
"""The most items one poll reads from the source's list; past it, the rest are ignored."""

ValuePath = Annotated[
    str,
    Field(
        max_length=200,
        pattern=r"^([A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*)?$",
        description="Keys (or list positions) separated by dots; empty: the value itself.",
    ),
]
"""Where a value is inside another: `body.data`, `items`, `meta.id`, or empty."""

NodeTypeName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.]+$")]


class PollSource(Strict):
    """What a polling trigger reads: one action of the catalog, called as a node would be."""

    type: NodeTypeName = Field(
        description=(
            "The action node type to call, with its own parameters: `http.request` for an "
            "HTTP endpoint returning a list, or a platform's read node whose output lists items."
        ),
        json_schema_extra={"examples": ["http.request"]},
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="The action's parameters, as its node takes them (written out: no templates).",
        json_schema_extra={"examples": [{"method": "GET", "url": "https://example.com/items"}]},
    )
    account_id: str | None = Field(
        default=None,
        max_length=40,
        description="The connected account the action uses, when its node type takes one.",
    )


class PollTriggerParameters(Parameters):
    """Parameters of `trigger.poll`: when to poll (`cron` or `interval`), what (`source`),
    and how to find the items and their ids in what it answers."""

    interval: Interval | None = Field(
        default=None,
        description="Poll at a fixed period (at least 1 minute).",
        json_schema_extra={"examples": [{"every": "PT5M"}]},
    )
    cron: list[CronExpression] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="Poll at cron times instead of a fixed period.",
        json_schema_extra={"examples": [["*/10 * * * *"]]},
    )
    timezone: TimeZoneName = Field(
        default="UTC", description="IANA time zone the cron times are read in."
    )
    source: PollSource = Field(description="The action whose answer lists the items.")
    items: ValuePath = Field(
        default="body",
        description=(
            "Where the list is in the source's output: `body` for an HTTP endpoint answering "
            "a JSON list, `body.data` for one answering `{data: [...]}`, `items` for a read "
            f"node. At most {MAX_POLL_ITEMS} items are read per poll."
        ),
        json_schema_extra={"examples": ["body", "body.data", "items"]},
    )
    item_id: ValuePath = Field(
        default="id",
        min_length=1,
        description=(
            "Where each item's id is inside it (a text or an integer): the same id never "
            "starts a second run."
        ),
        json_schema_extra={"examples": ["id", "data.id"]},
    )
    order: Literal["newest_first", "oldest_first"] = Field(
        default="newest_first",
        description=("How the source orders its list; runs start oldest item first either way."),
    )
    start_with: Literal["new_items", "existing_items"] = Field(
        default="new_items",
        description=(
            "On the first poll after the workflow is first activated: `new_items` only "
            "remembers what the source lists (no run for items that were already there); "
            "`existing_items` starts a run for each of them too (at most max_runs_per_poll "
            "per poll)."
        ),
    )
    max_runs_per_poll: int = Field(
        default=10,
        ge=1,
        le=100,
        description=(
            "The most runs one poll starts (1-100); further new items start at the next polls."
        ),
    )

    @model_validator(mode="after")
    def _one_spec(self) -> Self:
        exactly_one(self, ("interval", "cron"))
        return self


def _refuse_no_authentication(value: Any) -> Any:
    if value == "none":
        raise problem(
            "a webhook cannot go without authentication: use 'token' (the caller sends the "
            "webhook's secret in a header) when the sender cannot sign its requests"
        )
    return value


MAX_DEDUP_KEY_WINDOW = timedelta(days=30)
DEDUP_KEY_ROOTS = frozenset({"trigger"})
"""What a dedup key may read: the delivery, before any run exists."""


def _dedup_key_expression(source: str) -> str:
    try:
        compiled = compile_expression(source)
    except ExpressionError as error:
        at = "" if error.position is None else f" at character {error.position}"
        raise problem(f"is not a valid expression{at}: {error.message}") from None
    roots = sorted({reference.root for reference in compiled.references()} - DEDUP_KEY_ROOTS)
    if roots:
        raise problem(
            f"may read only trigger (the delivery), not {', '.join(roots)}: "
            "no run exists when the key is computed"
        )
    return source


DedupKey = Annotated[
    str, Field(min_length=1, max_length=1000), AfterValidator(_dedup_key_expression)
]
"""A bare expression over the delivery (`trigger`), checked when the workflow is saved."""


class WebhookTriggerParameters(Parameters):
    """Parameters of `trigger.webhook`.

    The shared secret is deliberately not a parameter: graphs are returned by the API, so
    the server generates and stores the secret.
    """

    method: Literal["POST", "PUT", "PATCH", "GET"] = Field(
        default="POST", description="HTTP method the webhook URL accepts."
    )
    authentication: Annotated[
        Literal["hmac_sha256", "token"], BeforeValidator(_refuse_no_authentication)
    ] = Field(
        default="hmac_sha256",
        description=(
            "How callers prove they know the webhook's secret: an HMAC-SHA256 signature, or "
            "the secret itself in a token header. Every webhook has one; there is no "
            "unauthenticated webhook. The secret is generated by the server and never part of "
            "the workflow; see the trigger's webhook settings."
        ),
    )
    signature_header: HeaderName = Field(
        default="X-Hub-Signature-256",
        description="Header carrying the HMAC-SHA256 signature (authentication hmac_sha256).",
        json_schema_extra={"examples": ["X-Hub-Signature-256", "X-Signature", "Stripe-Signature"]},
    )
    signature_scheme: Literal["body", "timestamped", "standard_webhooks"] = Field(
        default="body",
        description=(
            "body: the header holds `signature_prefix` and the HMAC of the raw body. "
            "timestamped (Stripe style): the header holds `t=<unix seconds>,v1=<HMAC>` (several "
            "v1 allowed), the HMAC is of `<t>.<raw body>`, and a delivery whose t is further "
            "than `signature_tolerance` from now is refused, so a captured one cannot be "
            "replayed later. standard_webhooks (https://www.standardwebhooks.com, e.g. Svix): "
            "the `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, the HMAC "
            "of `<id>.<timestamp>.<raw body>` under a `whsec_<base64>` secret, within 5 "
            "minutes of now; the signed id deduplicates, so the header, prefix, encoding, "
            "tolerance and delivery id settings do not apply."
        ),
    )
    signature_encoding: Literal["hex", "base64"] = Field(
        default="hex",
        description="How the HMAC is written: hex (GitHub, Meta, Stripe) or base64 (Shopify).",
    )
    signature_prefix: str = Field(
        default="sha256=",
        max_length=50,
        description=(
            "Text before the HMAC in the signature header; may be empty. Not used by the "
            "timestamped scheme."
        ),
        json_schema_extra={"examples": ["sha256=", ""]},
    )
    signature_tolerance: timedelta = Field(
        default=timedelta(minutes=5),
        ge=timedelta(seconds=1),
        le=timedelta(hours=1),
        description=(
            "With the timestamped scheme: how far a delivery's timestamp may be from now "
            "(either way, for clock skew); at most 1 hour."
        ),
    )
    token_header: HeaderName = Field(
        default="X-Webhook-Token",
        description="Header carrying the secret token (authentication token).",
    )
    delivery_id_header: HeaderName | None = Field(
        default="X-Delivery-Id",
        description=(
            "Header with the sender's delivery id: the same id with the same body starts no "
            "new run, also after `dedup_window`. The id is not signed, so it never stands "
            "for the body: another body under a known id is another delivery."
        ),
        json_schema_extra={"examples": ["X-Delivery-Id", "X-GitHub-Delivery"]},
    )
    dedup_window: timedelta = Field(
        default=timedelta(hours=1),
        ge=timedelta(0),
        le=timedelta(days=7),
        description=(
            "A signed body that arrives again within this long starts no new run, whatever "
            "delivery id it carries: a captured delivery replayed under a new id is refused "
            "(at most 7 days). With the timestamped scheme, at least twice "
            "`signature_tolerance`, so a replay is never accepted. PT0S: only the delivery id "
            "deduplicates (and a body-signed delivery can then be replayed)."
        ),
        json_schema_extra={"examples": ["PT1H", "PT10M", "PT0S"]},
    )
    dedup_key: DedupKey | None = Field(
        default=None,
        description=(
            "An expression over the delivery, written bare (no `{{ }}`), reading only "
            "`trigger` as the run would see it (`trigger.body`, `trigger.headers`, "
            "`trigger.query`, `trigger.method`): deliveries giving the same value within "
            "`dedup_key_window` start one run, whatever else differs, in every API process. "
            "For Meta, which re-sends one comment in a new envelope: "
            "`trigger.body.entry[0].changes[0].value.id`. A delivery whose key is null starts "
            "its run without this check (the delivery id and body checks still apply); one "
            "whose expression fails is refused with 422."
        ),
        json_schema_extra={
            "examples": [
                "trigger.body.entry[0].changes[0].value.id",
                "trigger.headers['x-event-id']",
            ]
        },
    )
    dedup_key_window: timedelta = Field(
        default=timedelta(days=1),
        ge=timedelta(seconds=1),
        le=MAX_DEDUP_KEY_WINDOW,
        description=(
            "How long a dedup_key value holds after the delivery that first gave it "
            "(1 s to 30 days; ISO 8601 such as `P1D`). Only with `dedup_key`."
        ),
        json_schema_extra={"examples": ["P1D", "PT6H"]},
    )
    response_mode: Literal["accepted", "wait_for_result"] = Field(
        default="accepted",
        description=(
            "Answer 202 as soon as the run has started, or wait for the run and "
            "answer with its output."
        ),
    )
    response_timeout: timedelta = Field(
        default=timedelta(seconds=10),
        gt=timedelta(0),
        le=timedelta(seconds=30),
        description=(
            "With wait_for_result: how long to wait before answering 202 anyway (≤ 30 seconds)."
        ),
    )
    max_body_bytes: int = Field(
        default=MIB,
        ge=1,
        le=10 * MIB,
        description="Larger request bodies are refused with 413 (at most 10 MiB).",
    )

    @model_validator(mode="after")
    def _standard_webhooks_use_their_own_headers(self) -> Self:
        if self.signature_scheme != "standard_webhooks":
            return self
        for name in _NOT_FOR_STANDARD_WEBHOOKS:
            if name in self.model_fields_set and getattr(self, name) != _DEFAULTS[name]:
                raise field_error(
                    self,
                    (name,),
                    "Standard Webhooks sign with the webhook-id, webhook-timestamp and "
                    f"webhook-signature headers, within 5 minutes: leave {name} unset",
                )
        return self

    @model_validator(mode="after")
    def _prefix_only_for_the_body_scheme(self) -> Self:
        prefixed = self.signature_prefix and "signature_prefix" in self.model_fields_set
        if self.signature_scheme == "timestamped" and prefixed:
            raise field_error(
                self,
                ("signature_prefix",),
                "the timestamped scheme has no prefix: its header is t=<time>,v1=<signature>; "
                "leave signature_prefix empty",
            )
        return self

    @classmethod
    def of_stored_plan(cls, parameters: Mapping[str, Any]) -> Self:
        """The parameters of a webhook trigger in a stored plan.

        Versions saved when `authentication: none` was allowed are held to a signature (a
        token for GET, which has no body to sign), so their deliveries are refused until
        they prove the secret.
        """
        if parameters.get("authentication") == "none":
            held = "token" if parameters.get("method") == "GET" else "hmac_sha256"
            parameters = {**parameters, "authentication": held}
        return cls.model_validate(parameters)

    @model_validator(mode="after")
    def _window_only_with_a_key(self) -> Self:
        if self.dedup_key is None and "dedup_key_window" in self.model_fields_set:
            raise field_error(
                self, ("dedup_key_window",), "is only used with dedup_key: set one or leave it"
            )
        return self

    @model_validator(mode="after")
    def _get_has_no_body_to_sign(self) -> Self:
        if self.method == "GET" and self.authentication == "hmac_sha256":
            raise field_error(
                self,
                ("authentication",),
                "a GET request has no body to sign: use token for a GET webhook",
            )
        return self


_NOT_FOR_STANDARD_WEBHOOKS = (
    "signature_header", "signature_prefix", "signature_encoding", "signature_tolerance",
    "delivery_id_header",
)  # fmt: skip
_DEFAULTS = {
    name: WebhookTriggerParameters.model_fields[name].default for name in _NOT_FOR_STANDARD_WEBHOOKS
}


NODE_TYPES: tuple[NodeType, ...] = (
    NodeType(
        type="trigger.manual",
        kind="trigger",
        category="trigger",
        title="Manual or API",
        description="Starts a run when someone clicks Run or calls the API, with optional input.",
        parameters=ManualTriggerParameters,
        literal_fields=tuple(ManualTriggerParameters.model_fields),
        output={"description": "The run input, as given when the run was started."},
    ),
    NodeType(
        type="trigger.schedule",
        kind="trigger",
        category="trigger",
        title="Schedule",
        description=(
            "Starts a run at cron times, a fixed interval or calendar times. The "
            "organization's run quotas hold: a run they refuse fails with QuotaExceeded "
            "before its first node, and the next firing tries again."
        ),
        parameters=ScheduleTriggerParameters,
        literal_fields=tuple(ScheduleTriggerParameters.model_fields),
        output={
            "type": "object",
            "properties": {
                "scheduled_time": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When this run was due (not when it actually started).",
                }
            },
            "required": ["scheduled_time"],
            "additionalProperties": True,
            "description": "`scheduled_time` plus the keys of the `input` parameter.",
        },
    ),
    NodeType(
        type="trigger.poll",
        kind="trigger",
        category="trigger",
        title="Poll for new items",
        description=(
            "Reads a source on a schedule (an HTTP endpoint returning a list, or a read node) "
            "and starts one run per item it has not seen before."
        ),
        parameters=PollTriggerParameters,
        literal_fields=tuple(PollTriggerParameters.model_fields),
        output={
            "type": "object",
            "properties": {
                "item": {"description": "The new item, as the source listed it."},
                "item_id": {"type": "string", "description": "The item's id, as text."},
                "polled_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When the poll that found it ran.",
                },
            },
            "required": ["item", "item_id", "polled_at"],
        },
    ),
    NodeType(
        type="trigger.webhook",
        kind="trigger",
        category="trigger",
        title="Webhook",
        description="Starts a run when an HTTP request arrives at the workflow's webhook URL.",
        parameters=WebhookTriggerParameters,
        literal_fields=tuple(WebhookTriggerParameters.model_fields),
        output={
            "type": "object",
            "properties": {
                "headers": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Request headers by name.",
                },
                "body": {"description": "The body: parsed JSON, else text."},
                "query": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "Query string parameters.",
                },
                "method": {"type": "string"},
            },
            "required": ["headers", "body", "query", "method"],
        },
    ),
)
