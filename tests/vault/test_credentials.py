"""Credentials at rest: sealed in the database, bound to their row, swapped only from the
version read, and re-encrypted under a new key by one command (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import base64
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.api.account_schemas import HttpAccountCreate
from app.db.engine import Database, sync_url
from app.db.models import Credential, EventSubscription, Webhook, Workflow
from app.store.accounts import connect_account, credential_summary
from app.vault import TamperedError, Vault
from app.vault.credentials import load_credential, swap_credential
from app.vault.rotation import reencrypt_all
from app.vault.webhook_secrets import seal, unseal
from tests.activities.support import new_organization

ROOT = Path(__file__).resolve().parents[2]
OLD = "old:" + base64.b64encode(b"o" * 32).decode()
NEW = "new:" + base64.b64encode(b"n" * 32).decode()
TOKENS = {"access_token": "at-plaintext", "refresh_token": "rt-plaintext"}


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


async def connect(database: Database, vault: Vault, organization_id: str, name: str) -> str:
    async with database.session() as session:
        account = await connect_account(
            session, vault, organization_id=organization_id, platform="x",
            display_name=name, kind="oauth2", secret=TOKENS, external_id=name,
        )  # fmt: skip
        return account.id


def raw_ciphertexts(database_url: str) -> dict[str, tuple[str, bytes]]:
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT account_id, key_id, ciphertext FROM credential")
            )
            return {row[0]: (row[1], bytes(row[2])) for row in rows}
    finally:
        engine.dispose()


async def reencrypt_command(
    database_url: str, data_dir: Path, vault_keys: str
) -> subprocess.CompletedProcess[str]:
    """`make reencrypt` (`python -m app.cli reencrypt`) on the database, with these keys."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "VAULT_KEYS": vault_keys,
        "DATA_DIR": str(data_dir),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "app.cli", "reencrypt"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


async def test_a_credential_is_stored_sealed_and_opens_for_its_account(
    database: Database, database_url: str
) -> None:
    vault = Vault.from_spec(NEW)
    organization = await new_organization(database)
    account = await connect(database, vault, organization, "ada")
    key_id, ciphertext = raw_ciphertexts(database_url)[account]
    assert key_id == "new"
    assert b"plaintext" not in ciphertext
    async with database.session() as session:
        opened = await load_credential(
            session, vault, organization_id=organization, account_id=account
        )
    assert opened is not None
    assert dict(opened.secret) == TOKENS
    assert "plaintext" not in repr(opened)


async def test_a_ciphertext_copied_onto_another_account_does_not_open(
    database: Database, database_url: str
) -> None:
    vault = Vault.from_spec(NEW)
    organization = await new_organization(database)
    victim = await connect(database, vault, organization, "victim")
    attacker = await connect(database, vault, organization, "attacker")
    async with database.session() as session:
        stolen = await session.get(Credential, victim)
        mine = await session.get(Credential, attacker)
        assert stolen is not None
        assert mine is not None
        mine.ciphertext = stolen.ciphertext
        session.add(mine)
        await session.commit()
    async with database.session() as session:
        with pytest.raises(TamperedError):
            await load_credential(session, vault, organization_id=organization, account_id=attacker)


async def test_a_swap_from_a_stale_version_changes_nothing(database: Database) -> None:
    vault = Vault.from_spec(NEW)
    organization = await new_organization(database)
    account = await connect(database, vault, organization, "ada")
    async with database.session() as session:
        read = await load_credential(
            session, vault, organization_id=organization, account_id=account
        )
        assert read is not None
        assert await swap_credential(session, vault, current=read, secret={"access_token": "a2"})
        assert not await swap_credential(
            session, vault, current=read, secret={"access_token": "a3"}
        )
        now = await load_credential(
            session, vault, organization_id=organization, account_id=account
        )
    assert now is not None
    assert now.secret == {"access_token": "a2"}
    assert now.version == read.version + 1


async def test_reencrypt_moves_every_credential_to_the_new_key(
    database: Database, database_url: str
) -> None:
    organization = await new_organization(database)
    accounts = [
        await connect(database, Vault.from_spec(OLD), organization, name)
        for name in ("ada", "grace")
    ]
    rotated = Vault.from_spec(f"{NEW},{OLD}")
    async with database.session() as session:
        done = await reencrypt_all(session, rotated)
        again = await reencrypt_all(session, rotated)
    assert (done.credentials, again.credentials) == (2, 0)
    assert {key_id for key_id, _ in raw_ciphertexts(database_url).values()} == {"new"}
    only_new = Vault.from_spec(NEW)
    async with database.session() as session:
        for account in accounts:
            opened = await load_credential(
                session, only_new, organization_id=organization, account_id=account
            )
            assert opened is not None
            assert dict(opened.secret) == TOKENS


async def test_reencrypt_moves_webhook_secrets_to_the_new_key(database: Database) -> None:
    organization = await new_organization(database)
    async with database.session() as session:
        workflow = Workflow(organization_id=organization, name="hooked")
        session.add(workflow)
        await session.flush()
        webhook = Webhook(organization_id=organization, workflow_id=workflow.id, node_id="hook")
        webhook.secret_sealed = seal("whsec_abc", bound_to=webhook.id, vault_keys=OLD)
        session.add(webhook)
        await session.commit()
        webhook_id = webhook.id
    async with database.session() as session:
        done = await reencrypt_all(session, Vault.from_spec(f"{NEW},{OLD}"))
        again = await reencrypt_all(session, Vault.from_spec(f"{NEW},{OLD}"))
    assert (done.webhooks, again.webhooks) == (1, 0)
    async with database.session() as session:
        row = await session.get(Webhook, webhook_id)
    assert row is not None
    assert row.secret_sealed is not None
    assert row.secret_sealed.startswith("new:")
    assert unseal(row.secret_sealed, bound_to=webhook_id, vault_keys=NEW) == "whsec_abc"


async def test_reencrypt_moves_event_subscription_secrets_to_the_new_key(
    database: Database,
) -> None:
    organization = await new_organization(database)
    async with database.session() as session:
        subscription = EventSubscription(
            organization_id=organization,
            url="https://93.184.216.34/hook",
            event_types=["run.failed"],
            secret_sealed="",
        )
        subscription.secret_sealed = seal("whsec_abc", bound_to=subscription.id, vault_keys=OLD)
        session.add(subscription)
        await session.commit()
        subscription_id = subscription.id
    async with database.session() as session:
        done = await reencrypt_all(session, Vault.from_spec(f"{NEW},{OLD}"))
        again = await reencrypt_all(session, Vault.from_spec(f"{NEW},{OLD}"))
    assert (done.webhooks, again.webhooks) == (1, 0)
    async with database.session() as session:
        row = await session.get(EventSubscription, subscription_id)
    assert row is not None
    assert row.secret_sealed.startswith("new:")
    assert unseal(row.secret_sealed, bound_to=subscription_id, vault_keys=NEW) == "whsec_abc"


async def test_the_reencrypt_command_rotates_and_reports(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    organization = await new_organization(database)
    await connect(database, Vault.from_spec(OLD), organization, "ada")
    result = await reencrypt_command(database_url, tmp_path, f"{NEW},{OLD}")
    assert result.returncode == 0, result.stderr
    assert "re-encrypted 1 credentials" in result.stdout
    assert {key_id for key_id, _ in raw_ciphertexts(database_url).values()} == {"new"}


async def test_the_reencrypt_command_keeps_an_http_credentials_hosts(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    organization = await new_organization(database)
    created = HttpAccountCreate.model_validate(
        {"display_name": "Billing", "allowed_hosts": ["API.example.com", "*.example.org"],
         "credential": {"type": "header", "name": "X-Api-Key", "value": "hk-plaintext"}}
    )  # fmt: skip
    async with database.session() as session:
        account = await connect_account(
            session, Vault.from_spec(OLD), organization_id=organization, platform="http",
            display_name=created.display_name, kind="header", secret=created.secret(),
        )  # fmt: skip
    result = await reencrypt_command(database_url, tmp_path, f"{NEW},{OLD}")
    assert result.returncode == 0, result.stderr
    assert "plaintext" not in result.stdout + result.stderr
    assert raw_ciphertexts(database_url)[account.id][0] == "new"
    only_new = Vault.from_spec(NEW)
    async with database.session() as session:
        opened = await load_credential(
            session, only_new, organization_id=organization, account_id=account.id
        )
        summary = await credential_summary(session, only_new, account=account)
    assert opened is not None
    assert dict(opened.secret) == {
        "name": "X-Api-Key", "value": "hk-plaintext",
        "allowed_hosts": ["api.example.com", "*.example.org"],
    }  # fmt: skip
    assert summary is not None
    assert summary.allowed_hosts == ["api.example.com", "*.example.org"]


async def test_the_reencrypt_command_names_credentials_it_cannot_open(
    database: Database, tmp_path: Path, database_url: str
) -> None:
    organization = await new_organization(database)
    account = await connect(database, Vault.from_spec(OLD), organization, "ada")
    result = await reencrypt_command(database_url, tmp_path, NEW)
    assert result.returncode == 1
    assert account in result.stderr
    assert "Traceback" not in result.stderr
