"""connection leases: which instance holds a platform's single long connection

Revision ID: 0016_connection_leases
Revises: 0015_proposals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_connection_leases"
down_revision = "0015_proposals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connection_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_connection_leases")),
    )


def downgrade() -> None:
    op.drop_table("connection_leases")
