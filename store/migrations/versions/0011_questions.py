"""questions KPM send to their pendamping (issue 9)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("asker_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("handler_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(80), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("claimed_by_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="SET NULL"), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("timezone", sa.String(32), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_questions_asker_id", "questions", ["asker_id"])
    op.create_index("ix_questions_handler_id", "questions", ["handler_id"])
    op.create_index("ix_questions_open", "questions", ["status", "asked_at"])


def downgrade() -> None:
    op.drop_index("ix_questions_open", "questions")
    op.drop_index("ix_questions_handler_id", "questions")
    op.drop_index("ix_questions_asker_id", "questions")
    op.drop_table("questions")
