"""bulk operations: who cancelled, terminated or reran which runs, by what filter

Revision ID: 0009_bulk_operations
Revises: 0008_error_workflow
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0009_bulk_operations"
down_revision: str | None = "0008_error_workflow"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bulk_operation",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("filter", app.db.types.JSONColumn, nullable=False),
        sa.Column("options", app.db.types.JSONColumn, nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("run_ids", app.db.types.JSONColumn, nullable=False),
        sa.Column("outcomes", app.db.types.JSONColumn, nullable=False),
        sa.Column("batch_job_id", sa.String(length=100), nullable=True),
        sa.Column("key_id", sa.String(length=40), nullable=False),
        sa.Column("person", sa.String(length=320), nullable=True),
        sa.Column("created_at", app.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bulk_operation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bulk_operation_created", ["organization_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bulk_operation", schema=None) as batch_op:
        batch_op.drop_index("ix_bulk_operation_created")
    op.drop_table("bulk_operation")
