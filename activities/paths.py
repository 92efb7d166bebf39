"""Ids in the paths of platform calls.

An id goes into a request path (`/2/tweets/{id}`, `/{ig-media-id}/insights`) whatever it
holds: a rendered parameter, an id a platform answered, an account's stored user id. Each
is percent-encoded whole, so it stays one segment of the route it was meant for, however
much it looks like `../`, `?`, `#` or an escape.
"""

from __future__ import annotations

from urllib.parse import quote

from app.contract.failures import FailureType

_DOT_SEGMENTS = frozenset({"", ".", ".."})
"""Segments that mean something of their own in a path, escaped or not (`%2E` is `.` to
clients and servers alike), so no encoding makes them safe."""


def path_segment(value: str, what: str) -> str:
    """`value` percent-encoded as one path segment (every character but letters, digits and
    `-._~`).

    Raises:
        ApplicationError: Non-retryable, naming `what`, when `value` is empty, `.` or `..`.
    """
    if value in _DOT_SEGMENTS:
        raise FailureType.InvalidPathSegment.error(
            f"{what} is {value!r}, which cannot be an id in a request path"
        )
    return quote(value, safe="")
