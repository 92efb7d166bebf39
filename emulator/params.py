"""Reading request parameters: form bodies (`application/x-www-form-urlencoded`), which X's
OAuth endpoints and the Graph API take, and numbers in query strings."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

FORM = "application/x-www-form-urlencoded"


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json`."""
    return content_type.split(";")[0].strip().lower()


def parse_form(raw: bytes) -> dict[str, str]:
    """The parameters of a form body.

    Raises:
        ValueError: the body is not UTF-8, or names a parameter twice (saying which).
    """
    parsed = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
    repeated = sorted(name for name, values in parsed.items() if len(values) > 1)
    if repeated:
        raise ValueError(f"The parameter {repeated[0]} is given more than once.")
    return {name: values[0] for name, values in parsed.items()}


_NUMBER = re.compile(r"[0-9]{1,19}")


def number(text: str) -> int | None:
    """`text` as a whole number if it is written as one in ASCII digits (`str.isdigit` also
    takes `²`, which `int` refuses), and no longer than an id (19 digits)."""
    return int(text) if _NUMBER.fullmatch(text) else None
