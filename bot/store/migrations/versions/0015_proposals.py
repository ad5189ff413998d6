"""proposals: a reading the bot proposed, carried out on 是 or a numbered choice from the same sender

Revision ID: 0015_proposals
Revises: 0014_callback_signs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_proposals"
down_revision = "0014_callback_signs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
        sa.UniqueConstraint(
            "platform", "chat_id", "sender_id", name=op.f("uq_proposals_platform_chat_id_sender_id")
        ),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_created_at"))
    op.drop_table("proposals")
