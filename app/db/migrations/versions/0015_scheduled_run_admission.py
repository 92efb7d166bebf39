"""scheduled run admission: runs fired by schedules that the run quotas counted

Revision ID: 0015_scheduled_run_admission
Revises: 0014_event_subscriptions
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0015_scheduled_run_admission"
down_revision: str | None = "0014_event_subscriptions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_run_admission",
        sa.Column("execution_id", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("hour", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("execution_id"),
    )


def downgrade() -> None:
    op.drop_table("scheduled_run_admission")
