"""The `code` of every problem the API reports, and what each means: one stable name per
kind of mistake, so a client can act on it without reading the words.

Each detail of an error answer carries one of `DETAIL_CODES`; a detail raised without a code
of its own carries its error's type (`app.errors`), itself listed here. Problems found in a
request before a route runs (pydantic's checks of bodies, queries and paths) are named here
too, in words of their own rather than pydantic's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from app.errors import ErrorDetail
from app.language.parameter_validators import message_of

WORKFLOW_ISSUES = {
    "schema": "the graph's JSON does not have the form of a workflow",
    "too_large": "too big: the document, the graph, a plan or a payload is over its limit",
    "invalid_setting": "a setting (time zone, variable name, on_error of a trigger) is wrong",
    "duplicate_node_id": "two nodes share an id",
    "unknown_node_type": "a node's type is not in the catalog",
    "invalid_parameter": "a node's parameter has the wrong value",
    "expression_syntax": "an expression or template does not compile",
    "unused_field": "a node-level field its type does not use",
    "missing_account": "the node needs a connected account",
    "unexpected_account": "the node's type uses no account",
    "unknown_account": "the account does not exist in this organization",
    "wrong_account": "the account is of another platform",
    "token_host_not_allowed": "an X or Instagram account's token may go only to its own API",
    "dangling_edge": "an edge names a node that does not exist",
    "duplicate_edge": "the same edge (or edge id) is given twice",
    "edge_into_trigger": "an edge leads into a trigger",
    "unknown_handle": "an edge leaves from an output its node does not have",
    "missing_error_edge": "on_error is 'route' but no edge leaves the error output",
    "missing_trigger": "the workflow has no trigger",
    "no_enabled_trigger": "every trigger is disabled, so no run can start",
    "unreachable_node": "no trigger leads to the node",
    "cycle": "the graph loops back on itself outside a loop node",
    "edge_into_loop_body": "an edge jumps into a loop body from outside it",
    "edge_out_of_loop_body": "an edge leaves a loop body for a node before or beside the loop",
    "join_needs_branches": "a join with one incoming edge",
    "loop_variable_outside_loop": "`item` or `index` read outside a loop body",
    "unknown_node_reference": "an expression reads a node that does not exist",
    "self_reference": "a node reads its own output",
    "reference_not_upstream": "an expression reads a node that cannot have run before",
    "unknown_workflow": "a sub-workflow names a workflow that does not exist",
    "unknown_version": "a sub-workflow names a version that does not exist",
    "sub_workflow_cycle": "sub-workflows call each other in a circle",
    "too_deep": "sub-workflows call each other too deeply",
}
"""Problems of a workflow graph (`app.language.errors.Issue.code`)."""

REQUEST_PROBLEMS = {
    "missing": "a required field is missing",
    "unknown_field": "a field the request does not take",
    "wrong_type": "a value of the wrong type (text for a number, ...)",
    "out_of_range": "a value too small, too large, too short or too long",
    "wrong_form": "a text not in the form the field takes (an id, a name)",
    "not_allowed": "a value that is not one of those the field takes",
    "invalid_value": "a value a field's own check refuses",
    "not_json": "the body is not JSON, or not valid JSON",
    "unkeepable_json": "JSON the engine cannot keep (a lone surrogate, NaN, a huge number)",
    "input_schema": "a run's input does not match its trigger's input_schema",
    "invalid_page_token": "a page_token that is not a next_page_token as given",
    "invalid_timestamp": "a time without a time zone",
    "unknown_event": "no node of the run waits for this event",
    "event_for_child_run": "an event meant for a sub-workflow's run",
    "schedule_refused": "Temporal refused a schedule",
    "invalid_secret": "a webhook secret not in the form its scheme needs",
    "quota_runs_per_hour": "the organization's runs_per_hour quota is spent until the next "
    "hour: retry after Retry-After (429)",
    "quota_concurrent_runs": "the organization runs max_concurrent_runs runs already: retry "
    "after Retry-After (429)",
    "dedup_key_failed": "a webhook trigger's dedup_key expression failed on the delivery",
}
"""Problems of a request itself: its body, query or path."""

ERROR_TYPES = {
    "invalid_input": "the request is not valid (422)",
    "unauthenticated": "no valid API key (401)",
    "forbidden": "the key may not do this (403)",
    "not_found": "no such resource in this organization (404)",
    "method_not_allowed": "the route does not take this method (405)",
    "conflict": "the resource's state does not allow it (409)",
    "too_many_requests": "too many requests: retry after Retry-After (429)",
    "too_large": "the request or what it would store is too large (413)",
    "headers_too_large": "the request's headers are too large (431)",
    "service_unavailable": "a service the engine needs does not answer: retry later (503)",
}
"""A detail raised without a code of its own carries its error's type."""

DETAIL_CODES: Mapping[str, str] = {**WORKFLOW_ISSUES, **REQUEST_PROBLEMS, **ERROR_TYPES}
"""Every code a detail of an error answer can carry, with what it means."""

_CODE_OF_TYPE = {
    "missing": "missing",
    "extra_forbidden": "unknown_field",
    "string_pattern_mismatch": "wrong_form",
    "literal_error": "not_allowed",
    "enum": "not_allowed",
    "value_error": "invalid_value",
    "assertion_error": "invalid_value",
    "json_invalid": "not_json",
}
_RANGE_WORDS = ("too_short", "too_long", "greater_than", "less_than", "multiple_of", "finite")


def code_of(pydantic_type: str) -> str:
    """The stable code of one of pydantic's error types."""
    if pydantic_type in _CODE_OF_TYPE:
        return _CODE_OF_TYPE[pydantic_type]
    if any(word in pydantic_type for word in _RANGE_WORDS):
        return "out_of_range"
    if pydantic_type.endswith(("_type", "_parsing")) or "_from_" in pydantic_type:
        return "wrong_type"
    return "invalid_value"


SEND_JSON = "send the body as JSON, with Content-Type: application/json"
_NOT_AN_OBJECT = frozenset({"model_attributes_type", "dict_type", "model_type"})


def request_detail(problem: Mapping[str, Any], *, body: Any, sent_json: bool) -> ErrorDetail:
    """One problem pydantic found in a request, in the API's words, with its code.

    Args:
        problem: One of `RequestValidationError.errors()`.
        body: What FastAPI read as the body (the text, when it did not parse).
        sent_json: Whether the request said its body is JSON.
    """
    loc = tuple(problem["loc"])
    if problem["type"] == "json_invalid":
        return ErrorDetail(_json_error(body, loc), ("body",), code="not_json")
    if loc == ("body",) and problem["type"] in _NOT_AN_OBJECT and not sent_json:
        return ErrorDetail(SEND_JSON, ("body",), code="not_json")
    return ErrorDetail(message_of(problem), loc, code=code_of(problem["type"]))


def _json_error(body: Any, loc: tuple[Any, ...]) -> str:
    """Why the body is not JSON, and where: line and column, as an editor shows them."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if isinstance(text, str):
        try:
            json.loads(text)
        except json.JSONDecodeError as error:
            return (
                f"the body is not valid JSON: {error.msg.lower()} at line {error.lineno}, "
                f"column {error.colno}"
            )
        except ValueError:
            pass
    position = loc[1] if len(loc) > 1 else None
    where = f" at character {position}" if isinstance(position, int) else ""
    return f"the body is not valid JSON{where}"
