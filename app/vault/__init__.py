"""The credential vault: AES-256-GCM with key ids, so keys can rotate.

Secrets are sealed bound to their record (organization, account, kind): a ciphertext moved
to another row does not open. Nothing here logs or returns a secret except `open`. Its errors
are `app.errors.VaultError` and its subclasses, exported here.
"""

from app.errors import TamperedError, UnknownKeyError, VaultError, VaultKeyError
from app.vault._cipher import Sealed, Vault
from app.vault._keys import KEY_BYTES, KeyRing, parse_keys

__all__ = [
    "KEY_BYTES",
    "KeyRing",
    "Sealed",
    "TamperedError",
    "UnknownKeyError",
    "Vault",
    "VaultError",
    "VaultKeyError",
    "parse_keys",
]
