"""error_workflow: a workflow may name the workflow started when one of its runs fails

Revision ID: 0008_error_workflow
Revises: 0007_approvers
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_error_workflow"
down_revision: str | None = "0007_approvers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow", schema=None) as batch_op:
        batch_op.add_column(sa.Column("error_workflow_id", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflow", schema=None) as batch_op:
        batch_op.drop_column("error_workflow_id")
