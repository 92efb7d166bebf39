"""API keys have a scope (read, write, admin) and may expire

Revision ID: 0005_key_scopes
Revises: 0004_webhooks

Keys issued before scopes keep the powers they had: a read-only key reads, any other key
could manage keys and accounts, so it becomes an admin key.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0005_key_scopes"
down_revision: str | None = "0004_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scope", sa.String(length=10), nullable=False, server_default="admin")
        )
        batch_op.add_column(
            sa.Column("expires_at", app.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(sa.text("UPDATE api_key SET scope = 'read' WHERE read_only"))
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("read_only")


def downgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("read_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(sa.text("UPDATE api_key SET read_only = (scope = 'read')"))
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scope")
