"""Keeping outputs small enough for Temporal's history (DESIGN.md, invariant 7)."""

from __future__ import annotations

import json
from typing import Any

MAX_OUTPUT_BYTES = 32_768
PREVIEW_CHARACTERS = 1_000


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def bounded(value: Any, limit: int = MAX_OUTPUT_BYTES) -> Any:
    """The value itself, or a marked preview when its JSON is larger than `limit` bytes."""
    text = as_json(value)
    size = len(text.encode())
    if size <= limit:
        return value
    return {"truncated": True, "size_bytes": size, "preview": text[:PREVIEW_CHARACTERS]}
