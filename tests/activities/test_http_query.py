"""Merging `http.request`'s `query` (and a query credential) into the URL's own query, for
any names and values (issue 12, point 13); tests/activities/test_http_request.py sends it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import httpx
from hypothesis import given
from hypothesis import strategies as st

from activities.http.query import with_query

names = st.text(min_size=1, max_size=8)
values = st.text(max_size=8)
pairs = st.lists(st.tuples(names, values), max_size=6)
layers = st.dictionaries(names, values, max_size=4)


@given(own=pairs, node=layers, credential=layers)
def test_every_parameter_survives_unless_a_later_one_of_its_name_replaces_it(
    own: list[tuple[str, str]], node: dict[str, str], credential: dict[str, str]
) -> None:
    url = httpx.URL("https://api.example.com/items?" + urlencode(own))
    merged = with_query(url, node, credential)
    replaced = node | credential
    expected = [(k, v) for k, v in own if k not in replaced] + list(replaced.items())
    assert parse_qsl(merged.query.decode(), keep_blank_values=True) == expected
    assert (merged.scheme, merged.host, merged.path) == (url.scheme, url.host, url.path)


@given(own=pairs)
def test_without_parameters_to_add_the_url_is_left_as_it_is(own: list[tuple[str, str]]) -> None:
    url = httpx.URL("https://api.example.com/items?" + urlencode(own))
    assert with_query(url, {}, {}) is url
