"""One key per purpose, derived from SECRET_KEY with HKDF-SHA256 (RFC 5869), so a value made
for one purpose (an API key's hash, a page token's MAC) is worthless for another, and no
purpose ever uses SECRET_KEY itself."""

from __future__ import annotations

import functools
import hashlib
import hmac
from typing import Literal

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

Purpose = Literal[
    "api-key-hash", "page-token", "webhook-verify-token", "sandbox-client-secret",
    "approval-link", "operator-key-hash",
]  # fmt: skip


@functools.lru_cache(maxsize=64)
def derive_key(secret_key: str, purpose: Purpose) -> bytes:
    """The 32-byte key for `purpose`."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"flowhold/" + purpose.encode()
    ).derive(secret_key.encode())


def keyed_hash(secret_key: str, purpose: Purpose, value: str) -> str:
    """HMAC-SHA256 of `value` under the key for `purpose`, in hex."""
    return hmac.new(derive_key(secret_key, purpose), value.encode(), hashlib.sha256).hexdigest()


def legacy_keyed_hash(secret_key: str, value: str) -> str:
    """The hash stored values were made with before keys were derived per purpose (HMAC under
    SECRET_KEY itself): still accepted for what was stored then, never made anew."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()
