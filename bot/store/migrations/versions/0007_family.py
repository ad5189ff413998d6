"""left-behind children: family calls and pastoral talks

Revision ID: 0007_family
Revises: 0002_enroll
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_family"
down_revision = "0002_enroll"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "family_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_family_calls_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_calls")),
    )
    op.create_index("ix_family_calls_student_month", "family_calls", ["student_id", "month"])
    op.create_table(
        "pastoral_talks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_pastoral_talks_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_pastoral_talks_staff_id_staff"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pastoral_talks")),
    )
    op.create_index("ix_pastoral_talks_student_month", "pastoral_talks", ["student_id", "month"])


def downgrade() -> None:
    op.drop_index("ix_pastoral_talks_student_month", table_name="pastoral_talks")
    op.drop_table("pastoral_talks")
    op.drop_index("ix_family_calls_student_month", table_name="family_calls")
    op.drop_table("family_calls")
