"""Every failure type a run can show, in one list: the `ApplicationError.type` each action
activity raises, and the `NodeError.type` the interpreter gives a node's failure.

The values are a contract: they are in recorded histories, in users' graphs
(`retry.non_retryable_error_types`, `on_error` routes reading `error.type`) and in API answers,
so a value never changes; a new case gets a new member. `GET /failure-types` publishes the list.

Each member says whether an action failing with it is retried (`retryable`: Temporal retries it
within the node's `retry` policy, after the delay the platform asked for when it named one;
listing a retryable type in `non_retryable_error_types` makes it fail at once instead), which
nodes may fail with it (`raised_by`: node type patterns, or the kinds `action` and `control`),
and what happened and what a person should do (`meaning`). Failures of the interpreter are
never retried: the node fails, and its `on_error` decides what follows.

Besides these, a run may show:
- `HTTP<status>` (`http_status_type`): `http.request` with `fail_on_status` was answered with
  a 4xx or 5xx; 408, 425, 429, 500, 502, 503 and 504 are retried (after any Retry-After), the
  others are not.
- a `fail` node's own `error_type`, and the type a child run failed with (its parent's
  `sub_workflow` node passes it on).
- the class name of anything else an action raised (a bug: `KeyError`...), retried.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from temporalio import exceptions as temporal

RETRIED = True
NOT_RETRIED = False


@dataclass(frozen=True)
class _Entry:
    type: str
    retryable: bool
    raised_by: tuple[str, ...]
    meaning: str


_ACCOUNTS = ("x.*", "instagram.*", "http.request", "ai.*")
_PLATFORMS = ("x.*", "instagram.*")
_NODES = ("action", "control")


class FailureType(StrEnum):
    """One failure type. Its value is the type string; `retryable`, `raised_by` and `meaning`
    as the module says. `error` makes the ApplicationError an activity raises for it."""

    _value_: str
    retryable: bool
    raised_by: tuple[str, ...]
    meaning: str

    def __new__(cls, entry: _Entry) -> FailureType:
        member = str.__new__(cls, entry.type)
        member._value_ = entry.type
        member.retryable = entry.retryable
        member.raised_by = entry.raised_by
        member.meaning = entry.meaning
        return member

    def error(
        self, message: str, *details: Any, next_retry_delay: timedelta | None = None
    ) -> temporal.ApplicationError:
        """What an action raises for this type: retried exactly when the list says so.

        `message` is for a person and never holds a secret; `next_retry_delay` is the wait
        the platform asked for, when it named one."""
        return temporal.ApplicationError(
            message,
            *details,
            type=self.value,
            non_retryable=not self.retryable,
            next_retry_delay=next_retry_delay,
        )

    def applies_to(self, node_type: str, kind: str) -> bool:
        """Whether a node of `node_type` (of `kind`: trigger, control or action) may fail
        with this type."""
        return any(
            pattern == kind or fnmatch.fnmatchcase(node_type, pattern) for pattern in self.raised_by
        )

    # -- any action, and the interpreter ------------------------------------------------
    InvalidParameters = _Entry(
        "InvalidParameters", NOT_RETRIED, _NODES,
        "The node's parameters, with their templates rendered, are not what its type takes (the "
        "message names the fields, never the values), or an x.thread's posts changed between "
        "attempts. Fix the parameters or the values their templates read.",
    )  # fmt: skip
    NetworkError = _Entry(
        "NetworkError", RETRIED, ("http.request", "ai.*", *_PLATFORMS),
        "The platform could not be reached (refused, reset, no such host). Retried; if it "
        "lasts, check the URL or the platform's status.",
    )  # fmt: skip
    Timeout = _Entry(
        "Timeout", RETRIED,
        ("http.request", "instagram.*", "ai.*", "x.upload_media", "sub_workflow"),
        "The platform did not answer in time (http.request: its `timeout`); retried. From a "
        "sub_workflow node: the child run went past the node's timeout_seconds (not retried).",
    )  # fmt: skip
    TimeoutError = _Entry(
        "TimeoutError", RETRIED, ("action",),
        "An attempt of the action ran past the node's timeout_seconds, or its worker stopped "
        "answering, and no attempts remain. Give the node more time or more attempts.",
    )  # fmt: skip
    CancelledError = _Entry(
        "CancelledError", NOT_RETRIED, ("action",),
        "The action was cancelled while its run was not (from outside the run).",
    )  # fmt: skip
    ApplicationError = _Entry(
        "ApplicationError", RETRIED, ("action",),
        "The action failed with an error of no type, which none of this engine's activities "
        "raise; retried unless it said otherwise.",
    )  # fmt: skip

    QuotaWait = _Entry(
        "QuotaWait", RETRIED, ("action",),
        "The account's pacing (actions_per_window) has no free slot now: the action waits, "
        "without acting, until the slot it took, and runs then. The wait costs one attempt: a "
        "paced node needs maximum_attempts of 2 or more, else it fails with this type.",
    )  # fmt: skip

    QuotaExceeded = _Entry(
        "QuotaExceeded", NOT_RETRIED, ("trigger.schedule",),
        "A run fired by a schedule was refused by its organization's run quotas "
        "(runs_per_hour or max_concurrent_runs) and did none of its work; the message names "
        "the quota and when it frees. The schedule's next firing tries again; raise the quota "
        "or space the schedule out.",
    )  # fmt: skip

    # -- accounts ---------------------------------------------------------------------------
    AccountUnusable = _Entry(
        "AccountUnusable", NOT_RETRIED, _ACCOUNTS,
        "The node has no account, or its account is unknown, of another platform, no longer "
        "connected or without a credential. Connect the account, or choose another.",
    )  # fmt: skip
    AccountNotFound = _Entry(
        "AccountNotFound", NOT_RETRIED, _ACCOUNTS,
        "The account the node's account_id template chose at run time is not one of the run's "
        "organization's accounts. Check what the template reads (nodes, trigger, item).",
    )  # fmt: skip
    WrongAccount = _Entry(
        "WrongAccount", NOT_RETRIED, _ACCOUNTS,
        "The account the node's account_id template chose at run time is of another platform "
        "than the node's (an http.request takes an HTTP account, or an X or Instagram account "
        "for that platform's own API). Choose an account of the node's platform.",
    )  # fmt: skip
    AccountRevoked = _Entry(
        "AccountRevoked", NOT_RETRIED, _PLATFORMS,
        "The platform no longer honours the account's grant (revoked, password changed). "
        "Connect the account again.",
    )  # fmt: skip
    PlatformUnavailable = _Entry(
        "PlatformUnavailable", RETRIED, _PLATFORMS,
        "The platform could not renew the account's token now (network, 5xx, rate limit). "
        "Retried, after the delay the platform asked for when it named one.",
    )  # fmt: skip
    PlatformRefused = _Entry(
        "PlatformRefused", NOT_RETRIED, _PLATFORMS,
        "The platform refused to renew the account's token, or refused this installation's "
        "OAuth client: check X_CLIENT_ID and X_CLIENT_SECRET, else connect the account again.",
    )  # fmt: skip

    # -- X ------------------------------------------------------------------------------
    XRateLimited = _Entry(
        "XRateLimited", RETRIED, ("x.*",),
        "X's rate limit for the account or the app is spent. Retried when the window resets (15 "
        "minutes or 24 hours, plus a few seconds); give the node more attempts or act less "
        "often.",
    )  # fmt: skip
    XServerError = _Entry(
        "XServerError", RETRIED, ("x.*",),
        "X answered with a 5xx. Retried.",
    )  # fmt: skip
    XBadRequest = _Entry(
        "XBadRequest", NOT_RETRIED, ("x.*",),
        "X refused the request as malformed (400); its message says what to change.",
    )  # fmt: skip
    XUnauthorized = _Entry(
        "XUnauthorized", NOT_RETRIED, ("x.*",),
        "X refused the account's token even after renewing it (401): connect it again.",
    )  # fmt: skip
    XForbidden = _Entry(
        "XForbidden", NOT_RETRIED, ("x.*",),
        "X does not allow this to the account or to this app's access level (403); its message "
        "says why.",
    )  # fmt: skip
    XNotFound = _Entry(
        "XNotFound", NOT_RETRIED, ("x.*",),
        "The post or user does not exist, or the account may not see it (404).",
    )  # fmt: skip
    XDuplicateContent = _Entry(
        "XDuplicateContent", NOT_RETRIED, ("x.post", "x.thread"),
        "X refuses to post the same text twice: change the text (add a date, a counter).",
    )  # fmt: skip
    XMediaFailed = _Entry(
        "XMediaFailed", NOT_RETRIED, ("x.upload_media",),
        "X could not process the uploaded video or GIF, or the file is not of a type X takes "
        "for posts: check the file (format, codec, length).",
    )  # fmt: skip
    MediaSourceRefused = _Entry(
        "MediaSourceRefused", NOT_RETRIED, ("x.upload_media",),
        "The media cannot be uploaded: its URL answered with a 4xx, the data is not base64, "
        "or the file is empty, larger than X takes or of a type X does not post. Check the "
        "URL, the data the node reads, or media_type.",
    )  # fmt: skip
    XRefused = _Entry(
        "XRefused", NOT_RETRIED, ("x.*",),
        "X refused with another 4xx; its message says why.",
    )  # fmt: skip

    # -- Instagram ----------------------------------------------------------------------
    InstagramRateLimited = _Entry(
        "InstagramRateLimited", RETRIED, ("instagram.*",),
        "Meta is throttling the account or the app. Retried when Meta says access returns (at "
        "most a day), else with the node's backoff; give the node more attempts.",
    )  # fmt: skip
    InstagramTokenExpired = _Entry(
        "InstagramTokenExpired", NOT_RETRIED, ("instagram.*",),
        "Meta refused the account's token (code 190): connect the account again.",
    )  # fmt: skip
    InstagramTransient = _Entry(
        "InstagramTransient", RETRIED, ("instagram.*",),
        "Meta could not answer now (a transient error, a 5xx). Retried.",
    )  # fmt: skip
    InstagramRefused = _Entry(
        "InstagramRefused", NOT_RETRIED, ("instagram.*",),
        "Meta refused the request; its message says why (a media URL it cannot fetch, a caption "
        "too long...).",
    )  # fmt: skip
    InstagramMediaFailed = _Entry(
        "InstagramMediaFailed", NOT_RETRIED, ("instagram.publish",),
        "Meta could not process the media: check that its URL serves an image or a video "
        "Instagram accepts.",
    )  # fmt: skip
    InstagramContainerExpired = _Entry(
        "InstagramContainerExpired", RETRIED, ("instagram.publish",),
        "The media container expired (after 24 hours) before it was published. Retried from new "
        "containers.",
    )  # fmt: skip
    InstagramStillProcessing = _Entry(
        "InstagramStillProcessing", RETRIED, ("instagram.publish",),
        "An attempt's time ran out while Meta was still processing the media. The next attempt "
        "goes on with the same container after poll_interval.",
    )  # fmt: skip
    InstagramProcessingTimeout = _Entry(
        "InstagramProcessingTimeout", NOT_RETRIED, ("instagram.publish",),
        "Meta did not finish processing the media within max_wait: raise max_wait, or publish "
        "smaller media.",
    )  # fmt: skip
    InstagramMediaNotFound = _Entry(
        "InstagramMediaNotFound", NOT_RETRIED, ("instagram.publish",),
        "An earlier attempt published the media, but it is not among the account's newest: look "
        "at the account before running again, or it may be posted twice.",
    )  # fmt: skip

    # -- AI providers -------------------------------------------------------------------
    AiRateLimited = _Entry(
        "AiRateLimited", RETRIED, ("ai.*",),
        "The provider's rate limit for the account's key is spent (429). Retried after the wait "
        "its Retry-After or rate-limit reset headers name; give the node more attempts, or "
        "ask the provider for a higher limit.",
    )  # fmt: skip
    AiUnavailable = _Entry(
        "AiUnavailable", RETRIED, ("ai.*",),
        "The provider answered with a 5xx or said it is overloaded (Anthropic's 529). Retried.",
    )  # fmt: skip
    AiUnauthorized = _Entry(
        "AiUnauthorized", NOT_RETRIED, ("ai.*",),
        "The provider refused the account's API key (401 or 403): store a valid key in the "
        "account (delete it and connect it again).",
    )  # fmt: skip
    AiBadRequest = _Entry(
        "AiBadRequest", NOT_RETRIED, ("ai.*",),
        "The provider refused the request (400, 404, 413, 422): an unknown model, a response "
        "schema it does not take, a prompt too long; its message says what to change.",
    )  # fmt: skip
    AiRefused = _Entry(
        "AiRefused", NOT_RETRIED, ("ai.*",),
        "The model declined to answer, or the provider's content filter stopped the answer.",
    )  # fmt: skip
    AiInvalidOutput = _Entry(
        "AiInvalidOutput", NOT_RETRIED, ("ai.*",),
        "With a response_schema: the answer is not JSON, or does not match the schema (the "
        "message says where), or was cut off at max_tokens. Raise max_tokens, describe the "
        "output in the prompt, or use a provider that enforces schemas (strict).",
    )  # fmt: skip

    # -- HTTP ---------------------------------------------------------------------------
    HostNotAllowed = _Entry(
        "HostNotAllowed", NOT_RETRIED, ("http.request",),
        "The account's credential is not for the URL's host: add the host to the account's "
        "allowed_hosts (PATCH /accounts/{id}), or call it without the account.",
    )  # fmt: skip
    AddressNotAllowed = _Entry(
        "AddressNotAllowed", NOT_RETRIED, ("http.request", "ai.*", "x.upload_media"),
        "The host (of the URL, or of an AI account's base URL) resolves to a private or local "
        "address, which this organization may not call; the operator may allow it "
        "(`python -m app.cli private-networks`).",
    )  # fmt: skip
    InvalidPathSegment = _Entry(
        "InvalidPathSegment", NOT_RETRIED, _PLATFORMS,
        "An id that goes into a platform's request path is empty, '.' or '..' (which no "
        "encoding makes safe): check what rendered it (run input, an earlier node's output).",
    )  # fmt: skip
    SandboxRefused = _Entry(
        "SandboxRefused", NOT_RETRIED, ("http.request",),
        "Sandbox mode: the URL's host is a real X, Twitter, Instagram or Facebook host, which "
        "no request may reach there; use the X and Instagram nodes, which talk to the emulator.",
    )  # fmt: skip
    InvalidUrl = _Entry(
        "InvalidUrl", NOT_RETRIED, ("http.request", "x.upload_media"),
        "The URL cannot be requested: no http or https scheme, or an invalid host or port.",
    )  # fmt: skip
    TooManyRedirects = _Entry(
        "TooManyRedirects", NOT_RETRIED, ("http.request", "x.upload_media"),
        "The server redirected more than max_redirects times.",
    )  # fmt: skip
    ResponseTooLarge = _Entry(
        "ResponseTooLarge", NOT_RETRIED, ("http.request", "x.upload_media"),
        "The response body is larger than max_response_bytes: raise it, or ask for less.",
    )  # fmt: skip
    InvalidJson = _Entry(
        "InvalidJson", NOT_RETRIED, ("http.request",),
        "response_format is json but the body is not JSON: set response_format to text.",
    )  # fmt: skip
    DecodingError = _Entry(
        "DecodingError", NOT_RETRIED, ("http.request",),
        "The response body does not decode as its Content-Encoding says.",
    )  # fmt: skip

    # -- the interpreter ----------------------------------------------------------------
    ExpressionError = _Entry(
        "ExpressionError", NOT_RETRIED, _NODES,
        "An expression or a template failed (an unknown name, wrong types...), or a "
        "wait_for_event's match failed on an event; the message says where.",
    )  # fmt: skip
    ValueTooDeep = _Entry(
        "ValueTooDeep", NOT_RETRIED, ("*",),
        "A node's output or the run's variables nest more than 64 levels deep.",
    )  # fmt: skip
    RunStateTooLarge = _Entry(
        "RunStateTooLarge", NOT_RETRIED, ("*",),
        "What the run keeps (node outputs, variables, a loop's items and results) would pass "
        "the bound that keeps it within Temporal's payload limit; the message names what grew. "
        "Keep less: pick the fields you need from large outputs, or split the work into "
        "sub-workflows, each with a state of its own.",
    )  # fmt: skip
    InputTooLarge = _Entry(
        "InputTooLarge", NOT_RETRIED, ("action", "sub_workflow"),
        "What the node would hand to Temporal (an action's rendered parameters, a child run's "
        "input with its plans) is larger than Temporal takes in one payload. Send less.",
    )  # fmt: skip
    ResultTooLarge = _Entry(
        "ResultTooLarge", NOT_RETRIED, ("action",),
        "What the action answered is larger than Temporal takes in one payload (an HTTP "
        "response read up to a large max_response_bytes): ask for less.",
    )  # fmt: skip
    InvalidItems = _Entry(
        "InvalidItems", NOT_RETRIED, ("loop",),
        "A loop's items are not a list.",
    )  # fmt: skip
    TooManyItems = _Entry(
        "TooManyItems", NOT_RETRIED, ("loop",),
        "A loop's items are more than its max_items: raise max_items, or split the items.",
    )  # fmt: skip
    UntilNotMet = _Entry(
        "UntilNotMet", NOT_RETRIED, ("loop",),
        "A loop's `until` was still false after its max_iterations: raise max_iterations or "
        "its delay, or route the node's error to handle it.",
    )  # fmt: skip
    InvalidTimestamp = _Entry(
        "InvalidTimestamp", NOT_RETRIED, ("delay",),
        "A delay's `until` is not an ISO 8601 timestamp with a time zone.",
    )  # fmt: skip
    SubWorkflowMissing = _Entry(
        "SubWorkflowMissing", NOT_RETRIED, ("sub_workflow",),
        "The run does not carry the sub-workflow's version: start runs through the API.",
    )  # fmt: skip
    NestingTooDeep = _Entry(
        "NestingTooDeep", NOT_RETRIED, ("sub_workflow",),
        "The child run would nest deeper than runs may (MAX_SUB_WORKFLOW_DEPTH).",
    )  # fmt: skip
    NoTrigger = _Entry(
        "NoTrigger", NOT_RETRIED, ("sub_workflow",),
        "The sub-workflow's version has no manual trigger to start from.",
    )  # fmt: skip
    InvalidInput = _Entry(
        "InvalidInput", NOT_RETRIED, ("sub_workflow",),
        "The input does not fit the sub-workflow's manual trigger `input_schema`.",
    )  # fmt: skip
    AlreadyStarted = _Entry(
        "AlreadyStarted", NOT_RETRIED, ("sub_workflow",),
        "A run with the child's id exists already.",
    )  # fmt: skip
    Cancelled = _Entry(
        "Cancelled", NOT_RETRIED, ("sub_workflow",),
        "The child run was cancelled on its own.",
    )  # fmt: skip
    Terminated = _Entry(
        "Terminated", NOT_RETRIED, ("sub_workflow",),
        "The child run was terminated.",
    )  # fmt: skip
    ChildFailed = _Entry(
        "ChildFailed", NOT_RETRIED, ("sub_workflow",),
        "The child run failed with no type of its own (a typed failure passes its type on).",
    )  # fmt: skip
    WorkflowFailed = _Entry(
        "WorkflowFailed", NOT_RETRIED, ("fail",),
        "A `fail` node without an error_type of its own ended the run on purpose.",
    )  # fmt: skip
    UnsupportedNode = _Entry(
        "UnsupportedNode", NOT_RETRIED, ("control",),
        "This worker does not know the node's type: run a worker as new as the API.",
    )  # fmt: skip
    InternalError = _Entry(
        "InternalError", NOT_RETRIED, ("*",),
        "Something unexpected went wrong in the interpreter (a bug): report it with the run id.",
    )  # fmt: skip


def http_status_type(status: int) -> str:
    """The type of an `http.request` answered with `status` when it fails on status."""
    return f"HTTP{status}"


RATE_LIMIT_TYPES = frozenset(
    {FailureType.XRateLimited.value, FailureType.InstagramRateLimited.value, http_status_type(429)}
)
"""The failures that mean a platform's rate limit is spent: their retry waits for the window
the platform named, which the API shows as the node waiting for a rate limit."""


QUOTA_WAIT_TYPES = frozenset({FailureType.QuotaWait.value})
"""The failure that means an action waits for a slot of its account's pacing (not a
platform's limit): the API shows the node waiting on its quota until the slot."""
