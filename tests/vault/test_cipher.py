"""AES-256-GCM sealing: round trips, bindings, tampering, key ids and rotation, VAULT_KEYS."""

from __future__ import annotations

import base64
import dataclasses

import pytest
from pydantic import ValidationError

from app.settings import Settings
from app.vault import Sealed, TamperedError, UnknownKeyError, Vault, VaultKeyError, parse_keys

OLD_KEY = base64.b64encode(b"o" * 32).decode()
NEW_KEY = base64.b64encode(b"n" * 32).decode()
BINDING = ("credential", "org_a", "acc_1", "oauth2")
SECRET = {"access_token": "at-secret-value", "refresh_token": "rt-secret-value"}


def test_a_sealed_secret_opens_with_the_same_binding() -> None:
    vault = Vault.from_spec(f"k1:{NEW_KEY}")
    sealed = vault.seal(SECRET, binding=BINDING)
    assert vault.open(sealed, binding=BINDING) == SECRET


def test_the_ciphertext_does_not_contain_the_plaintext() -> None:
    sealed = Vault.from_spec(f"k1:{NEW_KEY}").seal(SECRET, binding=BINDING)
    assert b"at-secret-value" not in sealed.ciphertext
    assert b"rt-secret-value" not in sealed.ciphertext


def test_sealing_twice_gives_different_ciphertexts() -> None:
    vault = Vault.from_spec(f"k1:{NEW_KEY}")
    first, second = vault.seal(SECRET, binding=BINDING), vault.seal(SECRET, binding=BINDING)
    assert first.ciphertext[:12] != second.ciphertext[:12]
    assert first.ciphertext != second.ciphertext


@pytest.mark.parametrize(
    "other",
    [
        ("credential", "org_b", "acc_1", "oauth2"),
        ("credential", "org_a", "acc_2", "oauth2"),
        ("credential", "org_a", "acc_1", "bearer"),
        ("oauth-authorization", "org_a", "acc_1", "oauth2"),
    ],
)
def test_a_ciphertext_moved_to_another_record_does_not_open(other: tuple[str, ...]) -> None:
    vault = Vault.from_spec(f"k1:{NEW_KEY}")
    sealed = vault.seal(SECRET, binding=BINDING)
    with pytest.raises(TamperedError):
        vault.open(sealed, binding=other)


def test_an_altered_ciphertext_does_not_open() -> None:
    vault = Vault.from_spec(f"k1:{NEW_KEY}")
    sealed = vault.seal(SECRET, binding=BINDING)
    flipped = bytearray(sealed.ciphertext)
    flipped[20] ^= 1
    with pytest.raises(TamperedError) as caught:
        vault.open(dataclasses.replace(sealed, ciphertext=bytes(flipped)), binding=BINDING)
    assert "secret-value" not in str(caught.value)


def test_new_secrets_are_sealed_with_the_first_key_and_old_ones_still_open() -> None:
    before = Vault.from_spec(f"old:{OLD_KEY}")
    sealed_before = before.seal(SECRET, binding=BINDING)
    after = Vault.from_spec(f"new:{NEW_KEY},old:{OLD_KEY}")
    assert sealed_before.key_id == "old"
    assert after.seal(SECRET, binding=BINDING).key_id == "new"
    assert after.open(sealed_before, binding=BINDING) == SECRET


def test_reseal_moves_a_secret_to_the_current_key_once() -> None:
    vault = Vault.from_spec(f"new:{NEW_KEY},old:{OLD_KEY}")
    old = Vault.from_spec(f"old:{OLD_KEY}").seal(SECRET, binding=BINDING)
    resealed = vault.reseal(old, binding=BINDING)
    assert resealed is not None
    assert resealed.key_id == "new"
    assert vault.open(resealed, binding=BINDING) == SECRET
    assert vault.reseal(resealed, binding=BINDING) is None


def test_a_secret_sealed_with_a_retired_key_says_which_key_is_missing() -> None:
    sealed = Vault.from_spec(f"old:{OLD_KEY}").seal(SECRET, binding=BINDING)
    with pytest.raises(UnknownKeyError, match="'old' is not in VAULT_KEYS"):
        Vault.from_spec(f"new:{NEW_KEY}").open(sealed, binding=BINDING)


def test_keys_never_show_in_reprs() -> None:
    ring = parse_keys(f"k1:{NEW_KEY}")
    assert NEW_KEY not in repr(ring)
    assert "nnnn" not in repr(ring)
    assert "nnnn" not in repr(Vault(ring).__dict__)
    assert "secret-value" not in repr(Sealed("k1", b"x"))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "VAULT_KEYS is empty"),
        ("just-a-key", "entry 1 is not of the form 'id:base64'"),
        (f"bad id:{NEW_KEY}", "entry 1: a key id is 1 to 32"),
        (f"k1:{NEW_KEY},k1:{OLD_KEY}", "names key id 'k1' twice"),
        ("k1:not base64!", "key 'k1' is not valid base64"),
        (f"k1:{base64.b64encode(b'short').decode()}", "key 'k1' is 5 bytes long"),
    ],
)
def test_malformed_vault_keys_are_refused_with_a_reason(spec: str, message: str) -> None:
    with pytest.raises(VaultKeyError, match=message) as caught:
        parse_keys(spec)
    assert NEW_KEY not in str(caught.value)
    assert OLD_KEY not in str(caught.value)


def test_settings_refuse_malformed_vault_keys_at_startup() -> None:
    with pytest.raises(ValidationError, match="VAULT_KEYS key 'k1' is 5 bytes long"):
        Settings(vault_keys="k1:" + base64.b64encode(b"short").decode())


def test_the_development_vault_key_is_a_usable_aes_256_key() -> None:
    vault = Vault.from_spec(Settings().vault_keys)
    assert vault.open(vault.seal(SECRET, binding=BINDING), binding=BINDING) == SECRET
