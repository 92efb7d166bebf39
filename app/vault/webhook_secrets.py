"""Webhook secrets at rest: sealed by the credential vault (`app.vault`), bound to their webhook.

A sealed value is one text column, `key_id:base64(nonce ‖ ciphertext)`, so it names the key
that sealed it (keys rotate) and, copied onto another webhook's row, does not open.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets

from app.errors import TamperedError
from app.logs import remember_secrets
from app.vault import Sealed, Vault
from app.vault.derivation import keyed_hash, legacy_keyed_hash


def binding(webhook_id: str) -> tuple[str, ...]:
    return ("webhook", webhook_id)


def to_text(sealed: Sealed) -> str:
    return f"{sealed.key_id}:{base64.b64encode(sealed.ciphertext).decode()}"


def from_text(text: str) -> Sealed:
    """Raises `TamperedError` for text `to_text` did not write."""
    key_id, _, encoded = text.partition(":")
    try:
        return Sealed(key_id, base64.b64decode(encoded, validate=True))
    except (binascii.Error, ValueError):
        raise TamperedError(key_id=None) from None


def seal(plaintext: str, *, bound_to: str, vault_keys: str) -> str:
    vault = Vault.from_spec(vault_keys)
    return to_text(vault.seal({"secret": plaintext}, binding=binding(bound_to)))


def unseal(sealed: str, *, bound_to: str, vault_keys: str) -> str:
    """The secret sealed for the webhook `bound_to`; raises `UnknownKeyError` when its key is
    no longer configured, `TamperedError` when it does not open for this webhook."""
    secret = str(
        Vault.from_spec(vault_keys).open(from_text(sealed), binding=binding(bound_to))["secret"]
    )
    remember_secrets([secret])
    return secret


def new_secret() -> str:
    """32 random bytes as `whsec_<base64>`: the form Standard Webhooks senders expect, and as
    good a key as any for the other schemes, which use the text as it is."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def token_hash(token: str, *, secret_key: str) -> str:
    """A keyed hash for values that are only ever compared (Meta's verify token)."""
    return keyed_hash(secret_key, "webhook-verify-token", token)


def token_matches(token: str, stored_hash: str, *, secret_key: str) -> bool:
    """Whether `token` is the one `stored_hash` was made of, now or before keys were derived
    per purpose; compared in constant time."""
    return any(
        hmac.compare_digest(made.encode(), stored_hash.encode())
        for made in (token_hash(token, secret_key=secret_key), legacy_keyed_hash(secret_key, token))
    )
