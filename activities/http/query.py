"""The query string `http.request` sends: the URL's own, and the node's and the credential's
parameters merged into it.

httpx's `params` argument replaces the URL's query in some of the versions our range admits
and merges it (re-encoding it) in others, so the query is built here and httpx is given the
finished URL.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, unquote_plus, urlencode

import httpx


def _name(part: str) -> str:
    return unquote_plus(part.partition("=")[0])


def with_query(url: httpx.URL, *layers: Mapping[str, str]) -> httpx.URL:
    """`url` with the parameters of each layer added, each replacing every parameter of the
    same name before it (the URL's own, or an earlier layer's). What nothing replaces is
    sent exactly as written, repeated names, bare flags and escapes included; the added
    parameters follow it, spaces written `%20`."""
    added = {name: value for layer in layers for name, value in layer.items()}
    if not added:
        return url
    kept = [
        part for part in url.query.decode("ascii").split("&") if part and _name(part) not in added
    ]
    query = "&".join([*kept, urlencode(added, quote_via=quote)])
    return url.copy_with(query=query.encode("ascii"))
