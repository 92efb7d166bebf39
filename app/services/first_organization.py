"""The first organization and key, so a fresh install can be used at once."""

from __future__ import annotations

from sqlmodel import select

from app.db.engine import Database
from app.db.models import Organization
from app.settings import Settings
from app.store.organizations import create_organization


async def ensure_first_organization(settings: Settings) -> str | None:
    """Create an organization and key when there is none; return that key (else None)."""
    database = Database(settings.resolved_database_url)
    try:
        async with database.session() as session:
            if (await session.exec(select(Organization).limit(1))).first() is not None:
                return None
            _, key = await create_organization(
                session, name="Default", key_name="first key", secret_key=settings.secret_key
            )
            return key.secret
    finally:
        await database.dispose()
