"""One key per purpose, derived from SECRET_KEY: a hash made for one purpose never serves
another, nothing uses SECRET_KEY itself, and values stored before still verify."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import get_args

from app.db.engine import Database
from app.store.api_keys import authenticate, get_key, hash_key
from app.store.organizations import create_organization
from app.vault.derivation import Purpose, derive_key, keyed_hash, legacy_keyed_hash
from app.vault.webhook_secrets import token_hash, token_matches
from tests.utils.databases import fresh_database

SECRET = "a-secret-key-of-this-installation-0123"


def test_every_purpose_has_a_key_of_its_own_and_none_is_the_secret_itself() -> None:
    keys = {purpose: derive_key(SECRET, purpose) for purpose in get_args(Purpose)}

    assert len(set(keys.values())) == len(keys)
    assert SECRET.encode() not in keys.values()
    assert all(len(key) == 32 for key in keys.values())


def test_the_same_value_hashes_differently_for_each_purpose() -> None:
    assert hash_key("fh_x", secret_key=SECRET) != token_hash("fh_x", secret_key=SECRET)
    assert hash_key("fh_x", secret_key=SECRET) == keyed_hash(SECRET, "api-key-hash", "fh_x")


def test_a_verify_token_stored_before_derived_keys_still_matches() -> None:
    stored_before = hmac.new(SECRET.encode(), b"meta-verify", hashlib.sha256).hexdigest()

    assert token_matches("meta-verify", stored_before, secret_key=SECRET)
    assert token_matches(
        "meta-verify", token_hash("meta-verify", secret_key=SECRET), secret_key=SECRET
    )
    assert not token_matches("other", stored_before, secret_key=SECRET)


async def test_an_api_key_stored_before_derived_keys_authenticates_and_is_stored_anew(
    tmp_path: Path,
) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        database = Database(url)
        try:
            async with database.session() as session:
                organization, issued = await create_organization(
                    session, name="Old", key_name="old", secret_key=SECRET
                )
                issued.record.key_hash = legacy_keyed_hash(SECRET, issued.secret)
                session.add(issued.record)
                await session.commit()
            async with database.session() as session:
                found = await authenticate(session, key=issued.secret, secret_key=SECRET)
            async with database.session() as session:
                stored = await get_key(
                    session, organization_id=organization.id, key_id=issued.record.id
                )
        finally:
            await database.dispose()

    assert found is not None
    assert stored.key_hash == hash_key(issued.secret, secret_key=SECRET)
