"""agreements: per child and term the agreement and the insurance; per child and month the service rating

Revision ID: 0020_agreements
Revises: 0019_register2
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020_agreements"
down_revision = "0019_register2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "term_agreements",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("term_start", sa.Date(), nullable=False),
        sa.Column("term_end", sa.Date(), nullable=False),
        sa.Column("agreed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agreed_by", sa.Integer(), nullable=True),
        sa.Column("insured_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("insured_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_term_agreements_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agreed_by"],
            ["guardians.id"],
            name=op.f("fk_term_agreements_agreed_by_guardians"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["insured_by"],
            ["guardians.id"],
            name=op.f("fk_term_agreements_insured_by_guardians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("student_id", "term_start", name=op.f("pk_term_agreements")),
    )
    op.create_table(
        "survey_ratings",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("guardian_id", sa.Integer(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["students.id"],
            name=op.f("fk_survey_ratings_student_id_students"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["schools.id"],
            name=op.f("fk_survey_ratings_school_id_schools"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["guardian_id"],
            ["guardians.id"],
            name=op.f("fk_survey_ratings_guardian_id_guardians"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("student_id", "month", name=op.f("pk_survey_ratings")),
    )
    with op.batch_alter_table("survey_ratings", schema=None) as batch_op:
        batch_op.create_index("ix_survey_ratings_school_month", ["school_id", "month"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("survey_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_survey_ratings_school_month")
    op.drop_table("survey_ratings")
    op.drop_table("term_agreements")
