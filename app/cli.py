"""Administrative commands: `python -m app.cli migrate | create-org | create-key | reencrypt`."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sqlmodel import select

from app.db.engine import Database
from app.db.migrate import upgrade
from app.db.models import Organization
from app.settings import get_settings
from app.store.api_keys import issue_key
from app.store.organizations import create_organization
from app.vault import Vault
from app.vault.rotation import reencrypt_all


async def _create_org(name: str) -> None:
    settings = get_settings()
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            organization, key = await create_organization(
                session, name=name, key_name="first key", secret_key=settings.secret_key
            )
        print(f"organization {organization.id} ({organization.name})")
        print(f"API key (shown once): {key.secret}")
    finally:
        await database.dispose()


async def _create_key(organization_id: str | None, name: str, read_only: bool) -> int:
    settings = get_settings()
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            query = select(Organization).order_by(Organization.created_at)  # type: ignore[arg-type]
            if organization_id:
                query = query.where(Organization.id == organization_id)
            organization = (await session.exec(query)).first()
            if organization is None:
                print("no such organization: create one with 'create-org NAME'", file=sys.stderr)
                return 1
            key = await issue_key(
                session,
                organization_id=organization.id,
                name=name,
                read_only=read_only,
                secret_key=settings.secret_key,
            )
            await session.commit()
        print(f"API key for {organization.id} (shown once): {key.secret}")
        return 0
    finally:
        await database.dispose()


async def _reencrypt() -> int:
    settings = get_settings()
    vault = Vault.from_spec(settings.vault_keys)
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            done = await reencrypt_all(session, vault)
        print(
            f"re-encrypted {done.credentials} credentials and {done.authorizations} pending "
            f"authorizations under key {vault.current_key_id!r}"
        )
        if done.unreadable:
            print(
                "these accounts' credentials do not open with VAULT_KEYS and were left as they "
                f"are (connect them again): {', '.join(done.unreadable)}",
                file=sys.stderr,
            )
            return 1
        return 0
    finally:
        await database.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply database migrations")
    org = commands.add_parser("create-org", help="create an organization and its first API key")
    org.add_argument("name")
    key = commands.add_parser("create-key", help="issue an API key (default: first organization)")
    key.add_argument("--organization", default=None)
    key.add_argument("--name", default="cli key")
    key.add_argument("--read-only", action="store_true")
    commands.add_parser("reencrypt", help="re-seal every stored secret with the first vault key")
    args = parser.parse_args(argv)
    settings = get_settings()
    upgrade(settings.resolved_database_url)
    if args.command == "create-org":
        asyncio.run(_create_org(args.name))
    elif args.command == "create-key":
        return asyncio.run(_create_key(args.organization, args.name, args.read_only))
    elif args.command == "reencrypt":
        return asyncio.run(_reencrypt())
    return 0


if __name__ == "__main__":
    sys.exit(main())
