"""bus: bus lines (roster sheet 校车), riders (学生.校车线路) and each day's boarding record

Revision ID: 0023_bus
Revises: 0022_duty
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_bus"
down_revision = "0022_duty"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bus_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("direction", sa.String(length=50), nullable=False),
        sa.Column("driver", sa.String(length=50), nullable=False),
        sa.Column("driver_phone", sa.String(length=20), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_bus_lines_school_id_schools"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_lines")),
        sa.UniqueConstraint("school_id", "name", name=op.f("uq_bus_lines_school_id_name")),
    )
    op.create_index(op.f("ix_bus_lines_school_id"), "bus_lines", ["school_id"])
    op.create_table(
        "bus_riders",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("bus_line_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_bus_riders_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bus_line_id"],
            ["bus_lines.id"],
            name=op.f("fk_bus_riders_bus_line_id_bus_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("student_id", name=op.f("pk_bus_riders")),
    )
    op.create_index(op.f("ix_bus_riders_bus_line_id"), "bus_riders", ["bus_line_id"])
    op.create_table(
        "bus_boardings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bus_line_id", sa.Integer(), nullable=False),
        sa.Column("boarded", sa.Boolean(), nullable=False),
        sa.Column("departed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_bus_boardings_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bus_line_id"],
            ["bus_lines.id"],
            name=op.f("fk_bus_boardings_bus_line_id_bus_lines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_boardings")),
        sa.UniqueConstraint("student_id", "day", name=op.f("uq_bus_boardings_student_id_day")),
    )
    op.create_index(op.f("ix_bus_boardings_student_id"), "bus_boardings", ["student_id"])
    op.create_index(op.f("ix_bus_boardings_day"), "bus_boardings", ["day"])
    op.create_index(op.f("ix_bus_boardings_bus_line_id"), "bus_boardings", ["bus_line_id"])


def downgrade() -> None:
    op.drop_table("bus_boardings")
    op.drop_table("bus_riders")
    op.drop_table("bus_lines")
