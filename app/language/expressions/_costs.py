"""What operations cost in units of work (`Limits.max_work`), from the sizes they touch.

A unit is about one element of a list or object handled by C code, or 32 characters
scanned or copied (`CHARACTERS_PER_UNIT`). Each formula bounds what CPython does for the
operation, measured on the 2-core machine of `bench/slowest_expression.py`; COSTS.md keeps
the table.
"""

from __future__ import annotations

from ._size import BIG_INT_BITS, CHARACTERS_PER_UNIT


def search_work(haystack: int, needle: int) -> int:
    """Looking for a text of ``needle`` characters in one of ``haystack`` (``in``, and the
    searches of ``split``, ``replace``). CPython is linear for long texts, but below 2,500
    characters (30,000 for a needle under 100) or for needles under 6 characters it may
    compare the needle at every position."""
    if needle > haystack:
        return 0
    characters = 2 * (haystack + needle)
    if needle > 1 and (haystack < 2_500 or (needle < 100 and haystack < 30_000) or needle < 6):
        characters += haystack * needle // 16
    return characters // CHARACTERS_PER_UNIT


def sort_work(count: int, characters: int) -> int:
    """Sorting (or taking the least of) ``count`` numbers or texts of ``characters`` in all:
    about count * log2(count) comparisons, and every level of merging reads each text once."""
    levels = count.bit_length() + 1
    return count * levels // 4 + characters * (levels + 6) // CHARACTERS_PER_UNIT


def product_work(left: int, right: int) -> int:
    """Multiplying or dividing two integers: at most quadratic in their lengths. Nothing for
    the integers expressions make (at most `Limits.max_int_bits`); data may hold larger."""
    return (left.bit_length() // BIG_INT_BITS) * (right.bit_length() // BIG_INT_BITS)
