"""approvers: API keys bound to a person, and single-use approval links

Revision ID: 0007_approvers
Revises: 0006_webhook_receipts
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0007_approvers"
down_revision: str | None = "0006_webhook_receipts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person", sa.String(length=320), nullable=True))
    op.create_table(
        "approval_link",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("node_id", sa.String(length=200), nullable=False),
        sa.Column("approver", sa.String(length=320), nullable=False),
        sa.Column("minted_by_key_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", app.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("approval_link", schema=None) as batch_op:
        batch_op.create_index("ix_approval_link_run", ["organization_id", "run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("approval_link", schema=None) as batch_op:
        batch_op.drop_index("ix_approval_link_run")
    op.drop_table("approval_link")
    with op.batch_alter_table("api_key", schema=None) as batch_op:
        batch_op.drop_column("person")
