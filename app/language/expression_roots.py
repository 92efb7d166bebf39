"""What each root of the expression language holds, and in which fields it means something,
for builders that complete expressions (`GET /schema/expressions`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.language.expressions import ROOTS

RootContext = Literal["any", "loop_body", "wait_match", "error_route"]
"""Where a root is available: `any` field; a node in a loop's `body` branch; the `match` of a
`wait_for_event`; a node downstream of an `error` handle."""


@dataclass(frozen=True)
class RootDoc:
    name: str
    description: str
    available_in: tuple[RootContext, ...]


ROOT_DOCS: tuple[RootDoc, ...] = (
    RootDoc("trigger", "the payload the run started with", ("any",)),
    RootDoc("nodes", "earlier nodes' outputs by id: only nodes upstream of this one", ("any",)),
    RootDoc("vars", "the workflow's variables, as `set` nodes left them", ("any",)),
    RootDoc(
        "run",
        "the run: id, workflow_id, workflow_version, trigger_kind, trigger_node, ...",
        ("any",),
    ),
    RootDoc("now", "the current time as an ISO 8601 timestamp (UTC)", ("any",)),
    RootDoc("item", "the current element", ("loop_body",)),
    RootDoc("index", "the current element's position, from 0", ("loop_body",)),
    RootDoc("error", "the last failure: {type, message, node_id}", ("error_route",)),
    RootDoc("event", "the payload of the event being matched", ("wait_match",)),
)

if tuple(root.name for root in ROOT_DOCS) != ROOTS:  # pragma: no cover - caught at import
    raise RuntimeError("ROOT_DOCS must describe every expression root, in order")
