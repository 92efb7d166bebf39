"""The vault's errors. Messages name accounts and key ids, never key material or plaintext."""

from __future__ import annotations


class VaultError(Exception):
    """Base of the vault's errors."""


class VaultKeyError(VaultError, ValueError):
    """VAULT_KEYS is malformed."""


class UnknownKeyError(VaultError):
    """A ciphertext was sealed with a key id that is no longer configured."""


class TamperedError(VaultError):
    """A ciphertext does not open: altered, or moved to another account or organization."""
