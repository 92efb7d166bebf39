"""Schemathesis hooks for the API fuzzing (`SCHEMATHESIS_HOOKS=tests.api.fuzz_hooks`).

Generated strings never hold a lone UTF-16 surrogate, yet JavaScript's `JSON.stringify`
writes one for a string cut inside an emoji, so a builder or script sends them: half the
bodies get one put into a string value or a key somewhere, to show none of them gets a 5xx.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

LONE = ("\ud800", "\udfff", "\ud83d")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where a string (value or key) is in `value`."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, str):
        found.append(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            found.append((*path, ("key", key)))
            found.extend(_paths(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*path, index)))
    return found


def _with_lone_surrogate(value: Any, path: tuple[Any, ...], lone: str) -> Any:
    if not path:
        return value + lone if isinstance(value, str) else value
    head, *rest = path
    if isinstance(head, tuple):  # a key
        key = head[1]
        return {(k + lone if k == key else k): v for k, v in value.items()}
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[head] = _with_lone_surrogate(value[head], tuple(rest), lone)
    return copy


@schemathesis.hook
def flatmap_body(ctx: Any, body: Any) -> Any:
    paths = _paths(body)
    if not paths:
        return st.just(body)
    damaged = st.tuples(st.sampled_from(paths), st.sampled_from(LONE)).map(
        lambda chosen: _with_lone_surrogate(body, *chosen)
    )
    return st.one_of(st.just(body), damaged)
