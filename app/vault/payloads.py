"""Encrypting what the engine hands to Temporal (inputs, outputs, states) with the vault's keys.

Each vault key gives a payload key of its own (HKDF-SHA256), so a payload's ciphertext and a
credential's are never made under the same key; a payload names the vault key it was made
under, so keys rotate like credentials do. A payload is opened only while its key is still in
VAULT_KEYS: keep a retired key there until the namespace's retention has passed.
"""

from __future__ import annotations

import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.errors import TamperedError
from app.vault._keys import KeyRing

NONCE_BYTES = 12
_ASSOCIATED_DATA = b"flowhold-payload-v1"


@functools.lru_cache(maxsize=16)
def _payload_key(vault_key: bytes) -> AESGCM:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"flowhold/payload-codec"
    ).derive(vault_key)
    return AESGCM(derived)


class PayloadCipher:
    """AES-256-GCM over whole serialized payloads."""

    def __init__(self, keys: KeyRing) -> None:
        self._keys = keys

    def encrypt(self, plaintext: bytes) -> tuple[str, bytes]:
        """The current key's id, and nonce + ciphertext + tag."""
        nonce = os.urandom(NONCE_BYTES)
        cipher = _payload_key(self._keys.key(self._keys.current_id))
        return self._keys.current_id, nonce + cipher.encrypt(nonce, plaintext, _ASSOCIATED_DATA)

    def decrypt(self, key_id: str, sealed: bytes) -> bytes:
        """What `encrypt` was given.

        Raises:
            UnknownKeyError: The key it was made under is no longer configured.
            TamperedError: The ciphertext was altered.
        """
        cipher = _payload_key(self._keys.key(key_id))
        try:
            return cipher.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _ASSOCIATED_DATA)
        except (InvalidTag, ValueError):
            raise TamperedError(key_id=key_id) from None
