"""Host patterns of HTTP credentials: what an account may name, and what each one matches."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from activities.http.hosts import host_allowed, normalize_host_pattern


@pytest.mark.parametrize(
    ("given_as", "stored"),
    [
        ("api.example.com", "api.example.com"),
        (" API.Example.COM. ", "api.example.com"),
        ("*.example.com", "*.example.com"),
        ("Bücher.example", "xn--bcher-kva.example"),
        ("*.Bücher.example", "*.xn--bcher-kva.example"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("0:0::1", "::1"),
        ("internal_service.corp", "internal_service.corp"),
    ],
)
def test_a_pattern_is_stored_in_the_form_httpx_sends(given_as: str, stored: str) -> None:
    assert normalize_host_pattern(given_as) == stored


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("", "must not be empty"),
        ("*", "would allow every host"),
        ("*.com", "whole top-level domain"),
        ("a.*.example.com", "'*' only as the whole first label"),
        ("*.*.example.com", "'*' only as the whole first label"),
        ("https://api.example.com", "without scheme or path"),
        ("api.example.com/v1", "without scheme or path"),
        ("user@api.example.com", "without scheme or path"),
        ("api.example.com:8443", "must not include a port"),
        ("-api.example.com", "must be a host name"),
        ("a..example.com", "must be a host name"),
        ("x" * 254, "at most 253 characters"),
    ],
)
def test_a_pattern_that_is_not_a_host_is_refused_saying_why(pattern: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        normalize_host_pattern(pattern)


@pytest.mark.parametrize(
    ("host", "patterns", "allowed"),
    [
        ("api.example.com", ["api.example.com"], True),
        ("API.EXAMPLE.COM", ["api.example.com"], True),
        ("api.example.com.", ["api.example.com"], True),
        ("other.example.com", ["api.example.com"], False),
        ("a.example.com", ["*.example.com"], True),
        ("a.b.example.com", ["*.example.com"], True),
        ("example.com", ["*.example.com"], False),
        ("evilexample.com", ["*.example.com"], False),
        ("example.com.evil.net", ["*.example.com"], False),
        ("bücher.example", ["xn--bcher-kva.example"], True),
        ("127.0.0.1", ["127.0.0.1"], True),
        ("127.0.0.1", ["*.0.0.1"], False),
        ("::1", ["::1"], True),
        ("localhost", ["127.0.0.1"], False),
        ("api.example.com", [], False),
    ],
)
def test_a_host_matches_exact_names_and_wildcards_below_their_domain(
    host: str, patterns: list[str], allowed: bool
) -> None:
    assert host_allowed(host, patterns) is allowed


@given(st.text(max_size=60))
def test_any_text_is_a_stable_pattern_or_a_value_error(text: str) -> None:
    try:
        stored = normalize_host_pattern(text)
    except ValueError:
        return
    assert normalize_host_pattern(stored) == stored
    host_allowed(text, [stored])
