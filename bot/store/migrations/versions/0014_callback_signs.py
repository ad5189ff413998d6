"""callback signs: a DingTalk (timestamp, sign) header pair is bound to one message id

Revision ID: 0014_callback_signs
Revises: 0013_binding
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_callback_signs"
down_revision = "0013_binding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "callback_signs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("timestamp", sa.String(length=20), nullable=False),
        sa.Column("sign", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_signs")),
        sa.UniqueConstraint(
            "platform", "timestamp", "sign", name=op.f("uq_callback_signs_platform_timestamp_sign")
        ),
    )
    with op.batch_alter_table("callback_signs") as batch:
        batch.create_index(batch.f("ix_callback_signs_signed_at"), ["signed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("callback_signs") as batch:
        batch.drop_index(batch.f("ix_callback_signs_signed_at"))
    op.drop_table("callback_signs")
