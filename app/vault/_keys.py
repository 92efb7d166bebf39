"""The vault's keys: `id:base64(32 bytes)` entries; the first one seals, every one opens."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from app.errors import UnknownKeyError, VaultKeyError

KEY_BYTES = 32
"""AES-256."""
_KEY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class KeyRing:
    """The configured keys by id, in the order given."""

    current_id: str
    """The key new ciphertexts are sealed with: the first of VAULT_KEYS."""
    keys: Mapping[str, bytes] = field(repr=False)
    """Key bytes by id; kept out of repr so they never reach a log or a traceback."""

    def key(self, key_id: str) -> bytes:
        try:
            return self.keys[key_id]
        except KeyError:
            raise UnknownKeyError(key_id=key_id) from None


def parse_keys(spec: str) -> KeyRing:
    """Read VAULT_KEYS. Errors name the entry and what is wrong with it, never the key itself."""
    entries = [entry.strip() for entry in spec.split(",")]
    if not any(entries):
        raise VaultKeyError("VAULT_KEYS is empty: give at least one 'id:base64(32 bytes)' key")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(entries, start=1):
        key_id, colon, encoded = entry.partition(":")
        if not colon:
            raise VaultKeyError(f"VAULT_KEYS entry {position} is not of the form 'id:base64'")
        if not _KEY_ID.fullmatch(key_id):
            raise VaultKeyError(
                f"VAULT_KEYS entry {position}: a key id is 1 to 32 letters, digits, '_', '.' or '-'"
            )
        if key_id in keys:
            raise VaultKeyError(f"VAULT_KEYS names key id {key_id!r} twice")
        try:
            key = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise VaultKeyError(f"VAULT_KEYS key {key_id!r} is not valid base64") from None
        if len(key) != KEY_BYTES:
            raise VaultKeyError(
                f"VAULT_KEYS key {key_id!r} is {len(key)} bytes long; AES-256 needs {KEY_BYTES}"
            )
        keys[key_id] = key
    return KeyRing(current_id=next(iter(keys)), keys=keys)
