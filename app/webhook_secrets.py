"""Webhook secrets at rest: sealed with AES-256-GCM under the first of `VAULT_KEYS`.

This is the one place that seals and unseals them (`seal`, `unseal`), so the credential
vault (`app.vault`) can take over by replacing these two functions. A sealed value names
its key (`key_id:base64(nonce ‖ ciphertext)`) so keys can rotate, and is bound to the
webhook it belongs to: copied onto another row, it does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
_PURPOSE = b"flowhold webhook secrets v1"


class SealError(ValueError):
    """A sealed value cannot be opened: unknown key, wrong webhook, or tampered with."""


def _keys(vault_keys: str) -> list[tuple[str, bytes]]:
    """(key id, 32-byte subkey) for each vault key, first first.

    The subkey is derived for this one purpose, so webhook secrets and credentials are never
    sealed under the very same key bytes.
    """
    keys = []
    for entry in vault_keys.split(","):
        key_id, _, encoded = entry.strip().partition(":")
        try:
            material = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise SealError(f"vault key '{key_id}' is not base64") from None
        keys.append((key_id, hmac.new(material, _PURPOSE, hashlib.sha256).digest()))
    return keys


def seal(plaintext: str, *, bound_to: str, vault_keys: str) -> str:
    key_id, key = _keys(vault_keys)[0]
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), bound_to.encode())
    return f"{key_id}:{base64.b64encode(nonce + sealed).decode()}"


def unseal(sealed: str, *, bound_to: str, vault_keys: str) -> str:
    key_id, _, encoded = sealed.partition(":")
    key = dict(_keys(vault_keys)).get(key_id)
    if key is None:
        raise SealError(f"no vault key '{key_id}' to open this secret")
    try:
        raw = base64.b64decode(encoded)
        opened = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], bound_to.encode())
    except (InvalidTag, binascii.Error, ValueError):
        raise SealError("the sealed secret does not open") from None
    return opened.decode()


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def token_hash(token: str, *, secret_key: str) -> str:
    """A keyed hash for values that are only ever compared (Meta's verify token)."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
