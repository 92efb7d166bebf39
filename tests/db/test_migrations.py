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
    "credential", "oauth_authorization", "webhook_receipt", "webhook_dedup_key", "approval_link",
    "bulk_operation", "run_start_count", "account_action_slot", "operator_key", "poll_cursor",
    "event_subscription", "event_delivery_attempt", "scheduled_run_admission", "alembic_version",
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


def test_keys_from_before_scopes_keep_the_powers_they_had(database_url: str) -> None:
    """A read-only key becomes a read key; any other could manage keys: it becomes admin."""
    config = alembic_config(database_url)
    command.downgrade(config, "0004_webhooks")
    engine = sa.create_engine(sync_url(database_url))
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO organization (id, name, allow_private_networks, created_at) "
                "VALUES ('org_1', 'Old', false, CURRENT_TIMESTAMP)"
            ))  # fmt: skip
            for key_id, read_only in (("key_ro", True), ("key_rw", False)):
                connection.execute(
                    sa.text(
                        "INSERT INTO api_key (id, organization_id, name, prefix, key_hash, "
                        "read_only, created_at) VALUES (:id, 'org_1', :id, 'fh_', :id, :ro, "
                        "CURRENT_TIMESTAMP)"
                    ),
                    {"id": key_id, "ro": read_only},
                )
        upgrade(database_url)
        with engine.connect() as connection:
            scopes: dict[str, str] = dict(
                connection.execute(sa.text("SELECT id, scope FROM api_key")).all()
            )
    finally:
        engine.dispose()

    assert scopes == {"key_ro": "read", "key_rw": "admin"}
