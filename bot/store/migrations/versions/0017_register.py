"""register: pickup times as they happened (unknown when a late batch is not answered), the teacher's
pending 'what time?' question, early pickups, and family contacts made by a guardian at home

Revision ID: 0017_register
Revises: 0016_connection_leases
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_register"
down_revision = "0016_connection_leases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pickup_time_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_group_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("asked_of", sa.String(length=100), nullable=False),
        sa.Column("student_ids", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_group_id"],
            ["class_groups.id"],
            name=op.f("fk_pickup_time_questions_class_group_id_class_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_time_questions")),
    )
    op.create_index("ix_pickup_time_questions_asker", "pickup_time_questions", ["asked_of", "asked_at"])
    with op.batch_alter_table("pickups") as batch:
        batch.add_column(sa.Column("time_known", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("pickup_plans") as batch:
        batch.add_column(sa.Column("early_time", sa.Time(), nullable=True))
    with op.batch_alter_table("family_calls") as batch:
        batch.add_column(sa.Column("by_parent_away", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table("family_calls") as batch:
        batch.drop_column("by_parent_away")
    with op.batch_alter_table("pickup_plans") as batch:
        batch.drop_column("early_time")
    with op.batch_alter_table("pickups") as batch:
        batch.drop_column("time_known")
    op.drop_index("ix_pickup_time_questions_asker", table_name="pickup_time_questions")
    op.drop_table("pickup_time_questions")
