"""private pushes and images: an image column and a send marker on the outbox

Revision ID: 0009_private_push
Revises: 0008_priority
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_private_push"
down_revision = "0008_priority"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("image", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("send_started_at")
        batch.drop_column("image")
