"""pupil names: an index on students (school_id, name), for the pupils a message names

Revision ID: 0024_pupil_names
Revises: 0023_bus
"""

from __future__ import annotations

from alembic import op

revision = "0024_pupil_names"
down_revision = "0023_bus"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_students_school_id_name", "students", ["school_id", "name"])


def downgrade() -> None:
    op.drop_index("ix_students_school_id_name", table_name="students")
