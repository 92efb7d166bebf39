"""poll cursors: what each polling trigger has seen of its source

Revision ID: 0013_poll_cursors
Revises: 0012_operator
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0013_poll_cursors"
down_revision: str | None = "0012_operator"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "poll_cursor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("workflow_id", sa.String(length=40), nullable=False),
        sa.Column("node_id", sa.String(length=100), nullable=False),
        sa.Column("seen", app.db.types.JSONColumn, nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.Column("runs_started", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workflow_id"], ["workflow.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("workflow_id", "node_id"),
    )
    with op.batch_alter_table("poll_cursor", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_cursor_workflow_id"), ["workflow_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("poll_cursor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_cursor_workflow_id"))
    op.drop_table("poll_cursor")
