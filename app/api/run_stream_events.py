"""What a run's stream sends: the whole state once, then only what changed.

A 500-node run's whole state is about 85 KB; sending it at every step of the run made a
stream of 1,000 updates weigh 41 MB (bench/README.md). Each connection starts with one
`state` event (the whole state, as `GET /runs/{id}` shows it); after it:

- `node`: one node's state changed, `{"node_id", "iteration", "state"}` (`iteration` is
  null: a node's state covers all of its loop iterations);
- `run`: a run-level field changed, with every run-level field (the state without `nodes`);
- `state` again when a node disappeared from the state (its live state could not be read);
- `end` once the run has ended; `error` when the stream stops for another reason.

Event ids increase through a connection and, after a reconnection with `Last-Event-ID`,
go on from it; a reconnection always starts with a whole `state` event.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.sse import format_sse_event

from app.api.run_schemas import RunStatePublic

KEEP_ALIVE = b": ping\n\n"
"""A comment line: clients ignore it, proxies see a stream that is alive."""


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class RunStreamEncoder:
    """Turns successive states of one run into the stream's events, numbered from after
    `last_event_id`."""

    def __init__(self, last_event_id: int = 0) -> None:
        self._id = last_event_id
        self._nodes: dict[str, dict[str, Any]] | None = None
        self._run: dict[str, Any] | None = None

    def _event(self, event: str, data: str) -> bytes:
        self._id += 1
        return format_sse_event(data_str=data, event=event, id=str(self._id))

    def changes(self, state: RunStatePublic) -> list[bytes]:
        """The events that bring a client from the last state to `state` (none when equal)."""
        dumped = state.model_dump(mode="json")
        nodes: dict[str, dict[str, Any]] = dumped.pop("nodes")
        previous = self._nodes
        if previous is None or not previous.keys() <= nodes.keys():
            self._nodes, self._run = nodes, dumped
            return [self._event("state", _json(dumped | {"nodes": nodes}))]
        events = [
            self._event("node", _json({"node_id": node_id, "iteration": None, "state": node_state}))
            for node_id, node_state in nodes.items()
            if previous.get(node_id) != node_state
        ]
        if dumped != self._run:
            events.append(self._event("run", _json(dumped)))
        self._nodes, self._run = nodes, dumped
        return events

    def end(self) -> bytes:
        return self._event("end", "{}")

    def error(self, type: str, message: str) -> bytes:
        return self._event("error", _json({"error": {"type": type, "message": message}}))
