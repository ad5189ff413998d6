"""binding: every 绑定 attempt counted durably (limits per account and per child), the requester's name

Revision ID: 0013_binding
Revises: 0012_inbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_binding"
down_revision = "0012_inbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "binding_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=128), nullable=False),
        sa.Column("sender_name", sa.String(length=100), nullable=False),
        sa.Column("child_name", sa.String(length=50), nullable=False),
        sa.Column("phone_matched", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_binding_attempts")),
    )
    op.create_index("ix_binding_attempts_account", "binding_attempts", ["platform", "user_id", "at"])
    op.create_index("ix_binding_attempts_child", "binding_attempts", ["child_name", "at"])
    with op.batch_alter_table("binding_requests") as batch:
        batch.add_column(sa.Column("sender_name", sa.String(length=100), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("binding_requests") as batch:
        batch.drop_column("sender_name")
    op.drop_index("ix_binding_attempts_child", table_name="binding_attempts")
    op.drop_index("ix_binding_attempts_account", table_name="binding_attempts")
    op.drop_table("binding_attempts")
