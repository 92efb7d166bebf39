"""quotas and pacing: runs per hour and at once per organization, actions per window per account

Revision ID: 0010_quotas
Revises: 0009_bulk_operations
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0010_quotas"
down_revision: str | None = "0009_bulk_operations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.add_column(sa.Column("runs_per_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("max_concurrent_runs", sa.Integer(), nullable=True))
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actions_per_window", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("action_window_seconds", sa.Integer(), nullable=True))
    op.create_table(
        "run_start_count",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hour", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("organization_id", "hour"),
    )
    op.create_table(
        "account_action_slot",
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("slot_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", "key"),
    )
    with op.batch_alter_table("account_action_slot", schema=None) as batch_op:
        batch_op.create_index("ix_account_action_slot_at", ["account_id", "slot_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_action_slot", schema=None) as batch_op:
        batch_op.drop_index("ix_account_action_slot_at")
    op.drop_table("account_action_slot")
    op.drop_table("run_start_count")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("action_window_seconds")
        batch_op.drop_column("actions_per_window")
    with op.batch_alter_table("organization", schema=None) as batch_op:
        batch_op.drop_column("max_concurrent_runs")
        batch_op.drop_column("runs_per_hour")
