"""Failures queued on purpose: the next N requests matching a method and path pattern fail
with a chosen status, headers and body, lose their connection, or never get an answer;
before or after the request takes effect (a post created whose answer never arrives)."""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

When = Literal["before", "after"]


@dataclass(frozen=True)
class Failure:
    """What a matching request gets instead of its answer."""

    status: int = 503
    """HTTP status to answer with (ignored when `network`)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Headers to send, e.g. `x-rate-limit-reset` or `Retry-After`."""
    body: Any = None
    """JSON body; None: the platform's own error body for `status`."""
    network: bool = False
    """Close the connection without an answer instead."""
    when: When = "before"
    """`before`: the request has no effect; `after`: it takes effect, then the answer is lost."""
    hang: bool = False
    """Keep the connection open without an answer until the client goes away (its timeout,
    or its process dying): a caller stopped while it waits on the platform."""


@dataclass
class Fault:
    """A queued failure and how many more requests it applies to."""

    id: int
    method: str
    """HTTP method, or `*` for any."""
    path: str
    """A glob over the request path: `/2/tweets`, `/2/tweets/*`, `/v*/*/media_publish`."""
    failure: Failure
    remaining: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and fnmatch.fnmatchcase(path, self.path)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "method": self.method,
            "path": self.path,
            "remaining": self.remaining,
            "status": self.failure.status,
            "network": self.failure.network,
            "when": self.failure.when,
            "hang": self.failure.hang,
        }


class Faults:
    """The queue; the oldest matching fault applies first."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, method: str, path: str, failure: Failure, times: int = 1) -> Fault:
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = Fault(next(self._ids), method.upper(), path, failure, times)
        self._faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Failure | None:
        """The failure for this request, if one is queued (and count it used)."""
        for fault in self._faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault.failure
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)

    def clear(self) -> None:
        self._faults.clear()
