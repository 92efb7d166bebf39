"""What a node's output may be: `bounded` keeps it, truncates it, or refuses it as too deep.

It encodes the output first and walks it only when its JSON has more brackets than
`MAX_DEPTH` (the walk costs more than the encoding); these pin that the answers are the
same as walking every output."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.bounded import MAX_DEPTH, MAX_OUTPUT_BYTES, ValueTooDeepError, bounded


def nested(depth: int) -> Any:
    """A value `depth` containers deep, alternating objects and lists."""
    value: Any = "leaf"
    for level in range(depth):
        value = {"in": value} if level % 2 else [value]
    return value


def test_a_value_as_deep_as_allowed_is_kept() -> None:
    value = nested(MAX_DEPTH)
    assert bounded(value) is value


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 100_000])
def test_a_deeper_value_is_refused_however_deep(depth: int) -> None:
    # 100 000 deep: encoding it alone would hit Python's recursion limit.
    with pytest.raises(ValueTooDeepError):
        bounded(nested(depth))


def test_brackets_inside_strings_do_not_make_a_value_deep() -> None:
    value = {"text": "{[" * 200, "items": [{"a": "]}" * 100}]}
    assert bounded(value) is value


def test_many_shallow_containers_are_not_deep() -> None:
    value = [{"n": index, "tags": []} for index in range(200)]
    assert bounded(value) is value


def test_a_large_value_becomes_a_preview_with_its_size_in_bytes() -> None:
    value = {"text": "é" * MAX_OUTPUT_BYTES}
    kept = bounded(value)
    assert kept["truncated"] is True
    assert kept["size_bytes"] == len('{"text":""}') + 2 * MAX_OUTPUT_BYTES
    assert kept["preview"].startswith('{"text":"éé')
