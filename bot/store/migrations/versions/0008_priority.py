"""priority groups: marks for children in a priority group the roster does not carry (hardship)

Revision ID: 0008_priority
Revises: 0007_family
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_priority"
down_revision = "0007_family"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "priority_marks",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=20), nullable=False),
        sa.Column("set_by", sa.String(length=100), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_priority_marks_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", "group", name=op.f("pk_priority_marks")),
    )


def downgrade() -> None:
    op.drop_table("priority_marks")
