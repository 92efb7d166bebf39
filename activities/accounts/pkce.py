"""PKCE (RFC 7636) and the `state` parameter: random values and the S256 challenge."""

from __future__ import annotations

import base64
import hashlib
import secrets


def new_state() -> str:
    """An unguessable `state`: it ties the callback to the authorization we started."""
    return secrets.token_urlsafe(32)


def new_code_verifier() -> str:
    """A verifier of 86 unreserved characters (RFC 7636 allows 43 to 128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """The S256 challenge: BASE64URL(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")
