"""outbox: how many parts of a push went through, so a retry resumes after them

Revision ID: 0011_outbox_parts
Revises: 0010_send_budgets
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_outbox_parts"
down_revision = "0010_send_budgets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("parts_sent")
