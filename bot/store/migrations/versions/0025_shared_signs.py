"""shared signs: a DingTalk header pair may serve the messages signed in the same millisecond

Revision ID: 0025_shared_signs
Revises: 0024_pupil_names

The table holds an hour of signs at most (pruned by housekeeping): it is made again, empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_shared_signs"
down_revision = "0024_pupil_names"
branch_labels = None
depends_on = None


def _create(shared: bool) -> None:
    key = ["platform", "timestamp", "sign", "message_id"] if shared else ["platform", "timestamp", "sign"]
    columns: list[sa.schema.SchemaItem] = [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("timestamp", sa.String(length=20), nullable=False),
        sa.Column("sign", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
    ]
    if shared:
        columns.append(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False))
    op.create_table(
        "callback_signs",
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_signs")),
        sa.UniqueConstraint(*key, name=op.f("uq_callback_signs_" + "_".join(key))),
    )
    op.create_index(op.f("ix_callback_signs_signed_at"), "callback_signs", ["signed_at"])


def upgrade() -> None:
    op.drop_index(op.f("ix_callback_signs_signed_at"), table_name="callback_signs")
    op.drop_table("callback_signs")
    _create(shared=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_callback_signs_signed_at"), table_name="callback_signs")
    op.drop_table("callback_signs")
    _create(shared=False)
