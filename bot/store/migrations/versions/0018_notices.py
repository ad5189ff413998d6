"""notices: a notice sent to class groups and the children it reaches, confirmed by a guardian's 收到

Revision ID: 0018_notices
Revises: 0017_register
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_notices"
down_revision = "0017_register"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("sender_staff_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("scope", sa.String(length=50), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_id"], ["schools.id"], name=op.f("fk_notices_school_id_schools"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_staff_id"],
            ["staff.id"],
            name=op.f("fk_notices_sender_staff_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index("ix_notices_school_closes", ["school_id", "closes_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notices_sender_staff_id"), ["sender_staff_id"], unique=False)
    op.create_table(
        "notice_targets",
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("class_group_id", sa.Integer(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_targets_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_notice_targets_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["class_group_id"],
            ["class_groups.id"],
            name=op.f("fk_notice_targets_class_group_id_class_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["confirmed_by"],
            ["guardians.id"],
            name=op.f("fk_notice_targets_confirmed_by_guardians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("notice_id", "student_id", name=op.f("pk_notice_targets")),
    )
    with op.batch_alter_table("notice_targets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notice_targets_student_id"), ["student_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_targets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_targets_student_id"))
    op.drop_table("notice_targets")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notices_sender_staff_id"))
        batch_op.drop_index("ix_notices_school_closes")
    op.drop_table("notices")
