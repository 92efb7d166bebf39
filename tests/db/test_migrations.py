"""Alembic owns the schema: migrations create it on SQLite and PostgreSQL and can be undone."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlmodel import SQLModel

import app.db.models  # noqa: F401
from app.db.engine import sync_url
from app.db.migrate import alembic_config, upgrade

TABLES = {
    "organization", "api_key", "workflow", "workflow_version", "account", "webhook",
    "credential", "oauth_authorization", "webhook_receipt", "alembic_version",
}  # fmt: skip


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(sync_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_create_every_table(database_url: str) -> None:
    assert _tables(database_url) == TABLES


def test_upgrading_twice_changes_nothing(database_url: str) -> None:
    upgrade(database_url)
    assert _tables(database_url) == TABLES


def test_the_migrated_schema_matches_the_models(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_migrations_downgrade_to_nothing(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "base")
    assert _tables(database_url) == {"alembic_version"}
