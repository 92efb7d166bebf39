"""Sealing small secrets with AES-256-GCM, each ciphertext bound to what it belongs to."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.errors import TamperedError
from app.vault._keys import KeyRing, parse_keys

NONCE_BYTES = 12
"""GCM's standard nonce; random per seal, which is safe far beyond our number of writes."""


@dataclass(frozen=True)
class Sealed:
    """A sealed secret as stored: which key sealed it, and nonce + ciphertext + tag."""

    key_id: str
    ciphertext: bytes


def _associated_data(binding: tuple[str, ...]) -> bytes:
    # JSON keeps the parts unambiguous: ("a", "bc") and ("ab", "c") never collide.
    return json.dumps(["flowhold-vault-v1", *binding], separators=(",", ":")).encode()


class Vault:
    """Seals and opens secrets. The binding (e.g. organization, account, kind) is authenticated
    as associated data, so a ciphertext copied to another row does not open there."""

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys

    @classmethod
    def from_spec(cls, spec: str) -> Vault:
        """A vault over the keys of a VAULT_KEYS value."""
        return cls(parse_keys(spec))

    @property
    def current_key_id(self) -> str:
        return self._keys.current_id

    def seal(self, secret: Mapping[str, Any], *, binding: tuple[str, ...]) -> Sealed:
        """Encrypt a JSON-able mapping under the current key."""
        nonce = os.urandom(NONCE_BYTES)
        plaintext = json.dumps(dict(secret), separators=(",", ":")).encode()
        cipher = AESGCM(self._keys.key(self._keys.current_id))
        sealed = cipher.encrypt(nonce, plaintext, _associated_data(binding))
        return Sealed(key_id=self._keys.current_id, ciphertext=nonce + sealed)

    def open(self, sealed: Sealed, *, binding: tuple[str, ...]) -> dict[str, Any]:
        """Decrypt what `seal` produced with the same binding.

        Raises:
            UnknownKeyError: The key it was sealed with is no longer configured.
            TamperedError: The ciphertext was altered or belongs to another binding.
        """
        cipher = AESGCM(self._keys.key(sealed.key_id))
        nonce, body = sealed.ciphertext[:NONCE_BYTES], sealed.ciphertext[NONCE_BYTES:]
        try:
            plaintext = cipher.decrypt(nonce, body, _associated_data(binding))
        except (InvalidTag, ValueError):
            raise TamperedError(key_id=sealed.key_id) from None
        opened: dict[str, Any] = json.loads(plaintext)
        return opened

    def reseal(self, sealed: Sealed, *, binding: tuple[str, ...]) -> Sealed | None:
        """The same secret under the current key, or None when it is sealed with it already."""
        if sealed.key_id == self._keys.current_id:
            return None
        return self.seal(self.open(sealed, binding=binding), binding=binding)
