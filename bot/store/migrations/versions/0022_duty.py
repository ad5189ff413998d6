"""duty: the duty roster (值班), patrols (巡课), the day's clearance (清校完毕) and incidents (事故)

Revision ID: 0022_duty
Revises: 0021_staff
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022_duty"
down_revision = "0021_staff"
branch_labels = None
depends_on = None


def _school() -> sa.Column:
    return sa.Column("school_id", sa.Integer(), nullable=False)


def _school_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["school_id"], ["schools.id"], name=op.f(f"fk_{table}_school_id_schools"), ondelete="CASCADE"
    )


def _staff_fk(table: str, column: str, ondelete: str = "SET NULL") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], ["staff.id"], name=op.f(f"fk_{table}_{column}_staff"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "duty_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("slot", sa.String(length=10), nullable=False),
        sa.Column("day", sa.Date(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        _school_fk("duty_slots"),
        _staff_fk("duty_slots", "staff_id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_slots")),
        sa.UniqueConstraint("school_id", "slot", name=op.f("uq_duty_slots_school_id_slot")),
    )
    op.create_index(op.f("ix_duty_slots_staff_id"), "duty_slots", ["staff_id"])
    op.create_table(
        "patrols",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("class_group_id", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        _school_fk("patrols"),
        _staff_fk("patrols", "staff_id"),
        sa.ForeignKeyConstraint(
            ["class_group_id"],
            ["class_groups.id"],
            name=op.f("fk_patrols_class_group_id_class_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patrols")),
    )
    op.create_index("ix_patrols_school_day", "patrols", ["school_id", "day"])
    op.create_table(
        "clearances",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        _school_fk("clearances"),
        _staff_fk("clearances", "staff_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearances")),
        sa.UniqueConstraint("school_id", "day", name=op.f("uq_clearances_school_id_day")),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        _school(),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("class_group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.Integer(), nullable=True),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("actions", sa.String(length=100), nullable=False),
        sa.Column("words", sa.Text(), nullable=False),
        sa.Column("in_group", sa.Boolean(), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        _school_fk("incidents"),
        _staff_fk("incidents", "reported_by"),
        sa.ForeignKeyConstraint(
            ["student_id"], ["students.id"], name=op.f("fk_incidents_student_id_students"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["class_group_id"],
            ["class_groups.id"],
            name=op.f("fk_incidents_class_group_id_class_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    op.create_index("ix_incidents_school_day", "incidents", ["school_id", "day"])
    op.create_index(op.f("ix_incidents_student_id"), "incidents", ["student_id"])


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("clearances")
    op.drop_table("patrols")
    op.drop_table("duty_slots")
