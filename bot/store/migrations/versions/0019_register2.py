"""register2: per-session attendance of X courses (`点名 篮球`)

Revision ID: 0019_register2
Revises: 0018_notices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_register2"
down_revision = "0018_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "course_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("marked_by", sa.String(length=100), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
            name=op.f("fk_course_attendance_course_id_courses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_course_attendance_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_course_attendance")),
        sa.UniqueConstraint(
            "course_id", "student_id", "day", name=op.f("uq_course_attendance_course_id_student_id_day")
        ),
    )
    op.create_index(op.f("ix_course_attendance_course_id"), "course_attendance", ["course_id"])
    op.create_index(op.f("ix_course_attendance_student_id"), "course_attendance", ["student_id"])
    op.create_index(op.f("ix_course_attendance_day"), "course_attendance", ["day"])


def downgrade() -> None:
    op.drop_table("course_attendance")
