"""webhook dedup keys: the value a trigger's dedup_key gave a delivery, until it expires

Revision ID: 0011_webhook_dedup_keys
Revises: 0010_quotas
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0011_webhook_dedup_keys"
down_revision: str | None = "0010_quotas"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_dedup_key",
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("key_digest", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("expires_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhook.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("webhook_id", "key_digest"),
    )
    with op.batch_alter_table("webhook_dedup_key", schema=None) as batch_op:
        batch_op.create_index(
            "ix_webhook_dedup_key_expires", ["webhook_id", "expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook_dedup_key", schema=None) as batch_op:
        batch_op.drop_index("ix_webhook_dedup_key_expires")
    op.drop_table("webhook_dedup_key")
