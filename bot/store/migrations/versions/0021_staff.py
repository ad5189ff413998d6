"""staff: teachers' attendance (到岗/离岗) and substitutes (代班); left-behind archives and care records

Revision ID: 0021_staff
Revises: 0020_agreements
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_staff"
down_revision = "0020_agreements"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str = "CASCADE") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "staff_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("checked_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        _fk("staff_attendance", "school_id", "schools"),
        _fk("staff_attendance", "staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_attendance")),
        sa.UniqueConstraint("staff_id", "day", name=op.f("uq_staff_attendance_staff_id_day")),
    )
    op.create_index(op.f("ix_staff_attendance_school_id"), "staff_attendance", ["school_id"])
    op.create_index(op.f("ix_staff_attendance_day"), "staff_attendance", ["day"])
    op.create_table(
        "substitutes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        _fk("substitutes", "school_id", "schools"),
        _fk("substitutes", "staff_id", "staff"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_substitutes")),
        sa.UniqueConstraint("target", "day", name=op.f("uq_substitutes_target_day")),
    )
    op.create_index(op.f("ix_substitutes_school_id"), "substitutes", ["school_id"])
    op.create_index(op.f("ix_substitutes_day"), "substitutes", ["day"])
    op.create_table(
        "student_archives",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("guardian_job", sa.String(length=50), nullable=False),
        sa.Column("guardian_age", sa.Integer(), nullable=True),
        sa.Column("guardian_health", sa.String(length=100), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("employer_phone", sa.String(length=30), nullable=False),
        sa.Column("caring_mother_id", sa.Integer(), nullable=True),
        _fk("student_archives", "student_id", "students"),
        _fk("student_archives", "caring_mother_id", "staff", "SET NULL"),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_student_archives")),
    )
    op.create_table(
        "care_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        _fk("care_records", "school_id", "schools"),
        _fk("care_records", "student_id", "students"),
        _fk("care_records", "staff_id", "staff", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_records")),
    )
    op.create_index("ix_care_records_school_day", "care_records", ["school_id", "day"])
    op.create_index(op.f("ix_care_records_student_id"), "care_records", ["student_id"])


def downgrade() -> None:
    op.drop_table("care_records")
    op.drop_table("student_archives")
    op.drop_table("substitutes")
    op.drop_table("staff_attendance")
