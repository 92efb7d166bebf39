"""How much may travel to Temporal in one payload, checked before anything is stored or started.

Temporal refuses a payload over 2 MiB (its default blob size limit) with an error that says
nothing useful to the caller, after the request has been accepted. A run's input carries its
plan, the plans of the sub-workflows it may start and its trigger's payload, so plans are
capped when stored, leaving every run room for a payload of about half a megabyte; the run
input is capped below the payload limit, so that it travels with the run's state when the
run continues as new (the bounds are in `app.contract.payload_limits`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from temporalio.contrib.pydantic import pydantic_data_converter

from app.contract.payload_limits import MAX_EVENT_BYTES, MAX_PLAN_BYTES, MAX_RUN_INPUT_BYTES
from app.errors import ErrorDetail, PayloadTooLargeError
from app.language.errors import Issue
from app.language.plan import Plan

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_PLAN_BYTES",
    "MAX_RUN_INPUT_BYTES",
    "check_event",
    "check_run_input",
    "encoded_size",
    "plan_size_issue",
]


def encoded_size(value: Any) -> int:
    """The bytes `value` takes as a Temporal payload, encoded as every run's data is."""
    [payload] = pydantic_data_converter.payload_converter.to_payloads([value])
    return payload.ByteSize()


def _too_large(
    what: str, size: int, limit: int, field: tuple[str | int, ...]
) -> PayloadTooLargeError:
    message = f"{what} is {size} bytes; at most {limit}"
    return PayloadTooLargeError(message, [ErrorDetail(message, path=field, code="too_large")])


def check_run_input(run_input: Any, *, field: tuple[str | int, ...]) -> None:
    """413 naming `field` (where the payload came from) when the run could not be started."""
    size = encoded_size(run_input)
    if size > MAX_RUN_INPUT_BYTES:
        raise _too_large(
            "the run's input, with the plan it carries,", size, MAX_RUN_INPUT_BYTES, field
        )


def check_event(event: Any) -> None:
    size = encoded_size(event)
    if size > MAX_EVENT_BYTES:
        raise _too_large("the event", size, MAX_EVENT_BYTES, ("body", "payload"))


def plan_size_issue(plan: Plan, carried: Mapping[str, Plan]) -> Issue | None:
    """A problem when the plan, with the plans its runs carry, leaves runs no room."""
    own = len(plan.canonical_json())
    size = own + sum(len(child.canonical_json()) for child in carried.values())
    if size <= MAX_PLAN_BYTES:
        return None
    if carried:
        message = (
            f"the compiled plan is {own} bytes, {size} with the plans of the sub-workflows "
            f"it runs; at most {MAX_PLAN_BYTES}, so that every run has room for its input"
        )
    else:
        message = (
            f"the compiled plan is {size} bytes; at most {MAX_PLAN_BYTES}, so that every run "
            "has room for its input"
        )
    return Issue("too_large", message)


def parameters_size_issue(document: Any) -> Issue | None:
    """A problem when the nodes' parameters alone are over `MAX_PLAN_BYTES`: a plan carries
    every node's parameters as they are, so such a graph is refused before it is checked and
    compiled, work that takes seconds for a document of megabytes."""
    nodes = document.get("nodes") if isinstance(document, dict) else None
    if not isinstance(nodes, list):
        return None
    size = 0
    for node in nodes:
        if not isinstance(node, dict):
            continue
        data = node.get("data")
        parameters = node.get("parameters")
        if parameters is None and isinstance(data, dict):
            parameters = data.get("parameters")  # React Flow keeps them under `data`
        if isinstance(parameters, dict):
            # As the plan's canonical JSON writes them, so that this never overstates.
            encoded = json.dumps(parameters, separators=(",", ":"), ensure_ascii=False)
            size += len(encoded.encode("utf-8", "surrogatepass"))
    if size <= MAX_PLAN_BYTES:
        return None
    return Issue(
        "too_large",
        f"the nodes' parameters are {size} bytes together; a compiled plan carries them all "
        f"and may be at most {MAX_PLAN_BYTES} bytes",
        None,
        ("nodes",),
    )
