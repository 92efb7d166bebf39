"""webhooks

Revision ID: 0004_webhooks
Revises: 0003_vault
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0004_webhooks"
down_revision: str | None = "0003_vault"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("workflow_id", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.String(length=100), nullable=False),
        sa.Column("secret_sealed", sa.String(length=500), nullable=True),
        sa.Column("verify_token_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workflow_id", "node_id"),
    )
    with op.batch_alter_table("webhook", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_organization_id", ["organization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_workflow_id"), ["workflow_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_workflow_id"))
        batch_op.drop_index("ix_webhook_organization_id")
    op.drop_table("webhook")
