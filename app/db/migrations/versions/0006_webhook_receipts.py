"""webhook receipts: the bodies each webhook received recently, to refuse replays

Revision ID: 0006_webhook_receipts
Revises: 0005_key_scopes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0006_webhook_receipts"
down_revision: str | None = "0005_key_scopes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_receipt",
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("received_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhook.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("webhook_id", "digest"),
    )
    with op.batch_alter_table("webhook_receipt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_receipt_received", ["webhook_id", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_receipt_received")
    op.drop_table("webhook_receipt")
