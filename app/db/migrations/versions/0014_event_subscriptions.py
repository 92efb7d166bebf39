"""event subscriptions: URLs subscribed to run events, and every delivery attempt

Revision ID: 0014_event_subscriptions
Revises: 0013_poll_cursors
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0014_event_subscriptions"
down_revision: str | None = "0013_poll_cursors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_subscription",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("event_types", app.db.types.JSONColumn, nullable=False),
        sa.Column("workflow_ids", app.db.types.JSONColumn, nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("secret_sealed", sa.String(length=500), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_subscription_organization_id", ["organization_id"], unique=False
        )
    op.create_table(
        "event_delivery_attempt",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("subscription_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("attempted_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["subscription_id"], ["event_subscription.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_delivery_attempt", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_delivery_attempt_subscription",
            ["subscription_id", "attempted_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("event_delivery_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_event_delivery_attempt_subscription")
    op.drop_table("event_delivery_attempt")
    with op.batch_alter_table("event_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_event_subscription_organization_id")
    op.drop_table("event_subscription")
