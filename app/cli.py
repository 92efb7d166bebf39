"""Administrative commands: `python -m app.cli COMMAND` (migrate, temporal-setup,
worker-health, sandbox-setup, create-org, list-orgs, create-key, list-keys, revoke-key,
create-operator-key, list-operator-keys, revoke-operator-key, private-networks, reencrypt).
Keys are printed once, when they are created.

Some settings are the operator's alone: letting an organization's `http.request` nodes reach
private networks opens the operator's internal network to whoever holds an API key of that
organization, so no API route changes it, only this command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from pydantic import TypeAdapter, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from app import sandbox_mode as sandbox
from app.api.schemas import Person
from app.db.engine import Database
from app.db.migrate import upgrade
from app.errors import LaunchError, NotFoundError, SetupRefusedError
from app.services.first_organization import ensure_first_organization
from app.settings import Settings, get_settings
from app.store.api_keys import SCOPES, Scope, create_key, list_keys, revoke_key
from app.store.operator import create_operator_key, list_operator_keys, revoke_operator_key
from app.store.organizations import (
    create_organization,
    list_organizations,
    update_organization,
)
from app.vault import Vault
from app.vault.rotation import reencrypt_all
from temporal.client import TemporalConnection, connect
from temporal.setup import set_up

WORKER_HEALTH_MAX_AGE_SECONDS = 30.0
"""How stale the worker's health file may be: it is touched every 5 s while Temporal answers."""


async def _in_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[int]]) -> int:
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            return await work(session)
    except NotFoundError as error:
        print(error.message, file=sys.stderr)
        return 1
    finally:
        await database.dispose()


async def _organization_id(session: AsyncSession, given: str | None) -> str:
    """The organization named, or the first one created."""
    organizations = await list_organizations(session)
    for organization in organizations:
        if given is None or organization.id == given:
            return organization.id
    raise NotFoundError(
        f"no organization '{given}'" if given else "no organization yet: run create-org NAME"
    )


def _is_a_person(person: str) -> bool:
    """Whether `person` has the shape the API takes (`app.api.schemas.Person`)."""
    try:
        TypeAdapter(Person).validate_python(person)
    except ValidationError:
        return False
    return True


def _commands(
    args: argparse.Namespace, settings: Settings
) -> Callable[[AsyncSession], Awaitable[int]]:
    async def create_org(session: AsyncSession) -> int:
        organization, key = await create_organization(
            session, name=args.name, key_name="first key", secret_key=settings.secret_key
        )
        print(f"organization {organization.id} ({organization.name})")
        print(f"API key (shown once): {key.secret}")
        return 0

    async def list_orgs(session: AsyncSession) -> int:
        for organization in await list_organizations(session):
            print(f"{organization.id}  {organization.created_at:%Y-%m-%d}  {organization.name}")
        return 0

    async def new_key(session: AsyncSession) -> int:
        organization_id = await _organization_id(session, args.organization)
        scope: Scope = "read" if args.read_only else args.scope
        if args.person is not None and not _is_a_person(args.person):
            print(f"--person {args.person!r}: no spaces around it, no control characters")
            return 1
        issued = await create_key(
            session,
            organization_id=organization_id,
            name=args.name,
            scope=scope,
            person=args.person,
            secret_key=settings.secret_key,
        )
        belongs = f" of {args.person}" if args.person else ""
        print(
            f"{scope} API key {issued.record.id}{belongs} for {organization_id} (shown once): "
            f"{issued.secret}"
        )
        return 0

    async def keys(session: AsyncSession) -> int:
        organization_id = await _organization_id(session, args.organization)
        for key in await list_keys(session, organization_id=organization_id):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            person = f"  ({key.person})" if key.person else ""
            print(f"{key.id}  {key.prefix}…  {key.scope:<5}  {state}  {key.name}{person}")
        return 0

    async def revoke(session: AsyncSession) -> int:
        organization_id = await _organization_id(session, args.organization)
        key = await revoke_key(session, organization_id=organization_id, key_id=args.key_id)
        print(f"revoked {key.id} ({key.name})")
        return 0

    async def new_operator_key(session: AsyncSession) -> int:
        issued = await create_operator_key(session, name=args.name, secret_key=settings.secret_key)
        print(f"operator key {issued.record.id} (shown once): {issued.secret}")
        return 0

    async def operator_keys(session: AsyncSession) -> int:
        for key in await list_operator_keys(session):
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            print(f"{key.id}  {key.prefix}…  {state}  {key.name}")
        return 0

    async def revoke_operator(session: AsyncSession) -> int:
        key = await revoke_operator_key(session, key_id=args.key_id)
        print(f"revoked {key.id} ({key.name})")
        return 0

    async def private_networks(session: AsyncSession) -> int:
        organization_id = await _organization_id(session, args.organization)
        allowed = args.state == "on"
        await update_organization(
            session, organization_id=organization_id, allow_private_networks=allowed
        )
        may = "may" if allowed else "may not"
        print(f"{organization_id}: http.request {may} reach private networks")
        return 0

    async def reencrypt(session: AsyncSession) -> int:
        vault = Vault.from_spec(settings.vault_keys)
        done = await reencrypt_all(session, vault)
        print(
            f"re-encrypted {done.credentials} credentials, {done.authorizations} pending "
            f"authorizations and {done.webhooks} webhook secrets under key "
            f"{vault.current_key_id!r}"
        )
        if done.unreadable:
            print(
                "these accounts' credentials or webhooks' secrets do not open with VAULT_KEYS "
                f"and were left as they are (set them again): {', '.join(done.unreadable)}",
                file=sys.stderr,
            )
            return 1
        return 0

    return {
        "reencrypt": reencrypt,
        "create-org": create_org,
        "list-orgs": list_orgs,
        "create-key": new_key,
        "list-keys": keys,
        "revoke-key": revoke,
        "create-operator-key": new_operator_key,
        "list-operator-keys": operator_keys,
        "revoke-operator-key": revoke_operator,
        "private-networks": private_networks,
    }[args.command]


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m app.cli")
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser(
        "temporal-setup",
        help="register the Temporal namespace (if missing) and the runs' search attributes",
    )
    commands.add_parser(
        "sandbox-setup",
        help="sandbox mode: connect the emulator's demo accounts (and make a first organization)",
    )
    commands.add_parser(
        "worker-health", help="exit 0 if the worker's health file (WORKER_HEALTH_FILE) is fresh"
    )
    org = commands.add_parser("create-org", help="create an organization and its first API key")
    org.add_argument("name")
    commands.add_parser("list-orgs", help="list organizations")
    key = commands.add_parser("create-key", help="issue an API key (default: first organization)")
    key.add_argument("--name", default="cli key")
    key.add_argument(
        "--scope",
        choices=SCOPES,
        default="admin",
        help="read; write: workflows, runs, events; admin (default): keys, accounts too",
    )
    key.add_argument("--read-only", action="store_true", help="the same as --scope read")
    key.add_argument(
        "--person", help="whom the key belongs to: its decisions are that person's (an e-mail)"
    )
    listing = commands.add_parser("list-keys", help="list an organization's API keys")
    revoke = commands.add_parser("revoke-key", help="revoke an API key for good")
    revoke.add_argument("key_id")
    operator_key = commands.add_parser(
        "create-operator-key",
        help="issue an operator key: it creates, lists and deletes organizations through the "
        "API (/operator/organizations) and reads nothing inside them",
    )
    operator_key.add_argument("--name", default="operator")
    commands.add_parser("list-operator-keys", help="list the operator keys")
    revoke_operator_parser = commands.add_parser(
        "revoke-operator-key", help="revoke an operator key for good"
    )
    revoke_operator_parser.add_argument("key_id")
    networks = commands.add_parser(
        "private-networks",
        help="let an organization's http.request nodes reach private networks (on) or not (off)",
    )
    networks.add_argument("--organization", required=True)
    networks.add_argument("state", choices=("on", "off"))
    commands.add_parser("reencrypt", help="re-seal every stored secret with the first vault key")
    for command in (key, listing, revoke):
        command.add_argument("--organization", default=None, help="default: the first one")
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    if args.command == "temporal-setup":
        return asyncio.run(_temporal_setup(settings))
    if args.command == "worker-health":
        return _worker_health(settings)
    upgrade(settings.resolved_database_url)
    if args.command == "migrate":
        return 0
    if args.command == "sandbox-setup":
        return asyncio.run(_sandbox_setup(settings))
    return asyncio.run(_in_session(settings, _commands(args, settings)))


async def _temporal_setup(settings: Settings) -> int:
    connection = TemporalConnection.from_settings(settings)
    try:
        client = await asyncio.wait_for(connect(connection), timeout=30)
        done = await set_up(client, timedelta(days=settings.temporal_namespace_retention_days))
    except SetupRefusedError as refused:
        print(refused, file=sys.stderr)
        return 2
    except (RuntimeError, TimeoutError) as error:
        print(f"Temporal at {connection.target} did not answer: {error}", file=sys.stderr)
        return 1
    for line in done:
        print(line)
    return 0


async def _sandbox_setup(settings: Settings) -> int:
    if not settings.sandbox:
        print("SANDBOX is not true: nothing to set up", file=sys.stderr)
        return 2
    first_key = await ensure_first_organization(settings)
    try:
        prepared = await sandbox.prepare(settings)
    except LaunchError as error:
        print(error, file=sys.stderr)
        return 1
    for platform, name, account_id in prepared.accounts:
        print(f"{platform:<10} {name:<32} {account_id}")
    if first_key:
        print(f"Created the first organization. Its API key (shown once): {first_key}")
    return 0


def _worker_health(settings: Settings) -> int:
    if not settings.worker_health_file:
        print("WORKER_HEALTH_FILE is not set: the worker keeps no health file", file=sys.stderr)
        return 2
    try:
        age = time.time() - Path(settings.worker_health_file).stat().st_mtime
    except OSError:
        print("the worker has not reached Temporal yet", file=sys.stderr)
        return 1
    if age > WORKER_HEALTH_MAX_AGE_SECONDS:
        print(f"the worker last reached Temporal {age:.0f} s ago", file=sys.stderr)
        return 1
    return 0


LEAVE_WITHOUT_FINALIZING = {"temporal-setup"}
"""Commands that used a Temporal client: the SDK's Rust threads may call into Python while it
finalizes and abort the process after the work is done (temporalio/sdk-python#300), so these
leave without finalizing, once their output is flushed."""


if __name__ == "__main__":
    code = main()
    if len(sys.argv) > 1 and sys.argv[1] in LEAVE_WITHOUT_FINALIZING:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)
