"""Webhook secrets at rest: sealed under the vault keys, bound to their webhook, rotatable."""

from __future__ import annotations

import base64
import os

import pytest

from app.vault import TamperedError, UnknownKeyError
from app.vault.webhook_secrets import seal, unseal

OLD = "old:" + base64.b64encode(os.urandom(32)).decode()
NEW = "new:" + base64.b64encode(os.urandom(32)).decode()


def test_a_sealed_secret_opens_for_its_webhook_only() -> None:
    sealed = seal("whsec_abc", bound_to="wh_1", vault_keys=OLD)
    assert "whsec_abc" not in sealed
    assert unseal(sealed, bound_to="wh_1", vault_keys=OLD) == "whsec_abc"
    with pytest.raises(TamperedError):
        unseal(sealed, bound_to="wh_2", vault_keys=OLD)


def test_a_secret_sealed_under_a_retired_key_still_opens_while_the_key_is_listed() -> None:
    sealed = seal("whsec_abc", bound_to="wh_1", vault_keys=OLD)
    assert sealed.startswith("old:")
    assert unseal(sealed, bound_to="wh_1", vault_keys=f"{NEW},{OLD}") == "whsec_abc"
    assert seal("x", bound_to="wh_1", vault_keys=f"{NEW},{OLD}").startswith("new:")
    with pytest.raises(UnknownKeyError, match="key 'old' is not in VAULT_KEYS") as raised:
        unseal(sealed, bound_to="wh_1", vault_keys=NEW)
    assert raised.value.key_id == "old"


def test_a_tampered_secret_does_not_open() -> None:
    key_id, _, encoded = seal("whsec_abc", bound_to="wh_1", vault_keys=OLD).partition(":")
    raw = bytearray(base64.b64decode(encoded))
    raw[-1] ^= 1
    with pytest.raises(TamperedError):
        unseal(f"{key_id}:{base64.b64encode(raw).decode()}", bound_to="wh_1", vault_keys=OLD)
