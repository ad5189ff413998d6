"""inbox: messages written before their platform is acknowledged; outbox late replies by reply route

Revision ID: 0012_inbox
Revises: 0011_outbox_parts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_inbox"
down_revision = "0011_outbox_parts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("message", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("deferred", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("platform", "message_id", name=op.f("uq_inbox_platform_message_id")),
    )
    with op.batch_alter_table("inbox") as batch:
        batch.create_index("ix_inbox_state_claim", ["state", "claimed_until"], unique=False)
        batch.create_index(batch.f("ix_inbox_received_at"), ["received_at"], unique=False)
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("reply_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("reply_kind", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("reply_expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("reply_expires_at")
        batch.drop_column("reply_kind")
        batch.drop_column("reply_url")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_index(batch.f("ix_inbox_received_at"))
        batch.drop_index("ix_inbox_state_claim")
    op.drop_table("inbox")
