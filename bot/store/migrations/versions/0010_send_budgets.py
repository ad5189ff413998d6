"""shared send budgets: one row per robot / app bucket with its 60 s send window and platform pause

Revision ID: 0010_send_budgets
Revises: 0009_private_push
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_send_budgets"
down_revision = "0009_private_push"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "send_budgets",
        sa.Column("bucket", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sent", sa.JSON(), nullable=False),
        sa.Column("paused_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("bucket", name=op.f("pk_send_budgets")),
    )


def downgrade() -> None:
    op.drop_table("send_budgets")
