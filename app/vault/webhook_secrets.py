"""Webhook secrets at rest: sealed by the credential vault (`app.vault`), bound to their webhook.

A sealed value is one text column, `key_id:base64(nonce ‖ ciphertext)`, so it names the key
that sealed it (keys rotate) and, copied onto another webhook's row, does not open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from app.vault import Sealed, UnknownKeyError, Vault, VaultError


class SealError(ValueError):
    """A sealed value cannot be opened: unknown key, wrong webhook, or tampered with."""


def binding(webhook_id: str) -> tuple[str, ...]:
    return ("webhook", webhook_id)


def to_text(sealed: Sealed) -> str:
    return f"{sealed.key_id}:{base64.b64encode(sealed.ciphertext).decode()}"


def from_text(text: str) -> Sealed:
    key_id, _, encoded = text.partition(":")
    try:
        return Sealed(key_id, base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise SealError("the sealed secret is malformed") from None


def seal(plaintext: str, *, bound_to: str, vault_keys: str) -> str:
    vault = Vault.from_spec(vault_keys)
    return to_text(vault.seal({"secret": plaintext}, binding=binding(bound_to)))


def unseal(sealed: str, *, bound_to: str, vault_keys: str) -> str:
    opened = from_text(sealed)
    try:
        secret = Vault.from_spec(vault_keys).open(opened, binding=binding(bound_to))
    except UnknownKeyError:
        raise SealError(f"no vault key '{opened.key_id}' to open this secret") from None
    except VaultError:
        raise SealError("the sealed secret does not open") from None
    return str(secret["secret"])


def new_secret() -> str:
    """32 random bytes as `whsec_<base64>`: the form Standard Webhooks senders expect, and as
    good a key as any for the other schemes, which use the text as it is."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def token_hash(token: str, *, secret_key: str) -> str:
    """A keyed hash for values that are only ever compared (Meta's verify token)."""
    return hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).hexdigest()
