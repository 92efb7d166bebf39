"""What never reaches a log line: tokens recognised by their shape, and the secret values
the vault opened in this process (`remember_secrets`), replaced by `[redacted]`.

By shape: `Bearer <anything>`, our API keys (`fh_...`), webhook secrets (`whsec_...`) and
webhook ids (`/hooks/wh_...` is a capability URL), provider keys (`sk-...`), and the values
of `access_token`, `refresh_token`, `client_secret`, `password`, `api_key`, `token` in
query strings, JSON and Python reprs. By value: whatever an account's secret holds, since
an access token has no shape to recognise it by."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"

_KEYS = r"access_token|refresh_token|client_secret|password|api_key|apikey|token|secret"
_SHAPES = [
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]+"), rf"\1 {REDACTED}"),
    (re.compile(r"\bfh_[A-Za-z0-9_\-]{8,}"), f"fh_{REDACTED}"),
    (re.compile(r"\bwhsec_[A-Za-z0-9+/=_\-]{8,}"), f"whsec_{REDACTED}"),
    # Also inside a webhook delivery's run id (`run_hook_wh_..._<hash>`), which holds it.
    (re.compile(r"(?<![A-Za-z0-9])wh_[A-Za-z0-9_\-]{8,}"), f"wh_{REDACTED}"),
    (re.compile(r"\bsk-[A-Za-z0-9_\-]{12,}"), f"sk-{REDACTED}"),
    (re.compile(rf"(?i)\b({_KEYS})=[^&\s'\"]+"), rf"\1={REDACTED}"),
    (
        re.compile(rf"(?i)([\"']({_KEYS}|authorization)[\"']\s*:\s*)([\"'])(?:(?!\3).)*\3"),
        rf"\1\3{REDACTED}\3",
    ),
]

SHORTEST_SECRET = 8
"""Shorter values (a region, `true`) would redact ordinary words."""
KEPT_SECRETS = 2000
"""The most recent secrets remembered; a long-running worker opens many tokens over time."""

_lock = threading.Lock()
_secrets: OrderedDict[str, None] = OrderedDict()
_pattern: re.Pattern[str] | None = None


def remember_secrets(secret: Mapping[str, Any] | Iterable[str]) -> None:
    """Redact these values (a credential's opened fields) from every line from now on."""
    global _pattern
    values = secret.values() if isinstance(secret, Mapping) else secret
    fresh = [v for v in values if isinstance(v, str) and len(v) >= SHORTEST_SECRET]
    if not fresh:
        return
    with _lock:
        changed = False
        for value in fresh:
            if value in _secrets:
                _secrets.move_to_end(value)
                continue
            _secrets[value] = None
            changed = True
        while len(_secrets) > KEPT_SECRETS:
            _secrets.popitem(last=False)
            changed = True
        if changed:
            _pattern = None


def _known() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _secrets:
            # Longest first, so a secret that contains another is replaced whole.
            ordered = sorted(_secrets, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(value) for value in ordered))
        return _pattern


def redact(text: str) -> str:
    known = _known()
    if known is not None:
        text = known.sub(REDACTED, text)
    for pattern, replacement in _SHAPES:
        text = pattern.sub(replacement, text)
    return text
