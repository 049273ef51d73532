"""question catalogue: the topic each turn answered, and her "was this helpful?" taps

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("topic", sa.String(60), nullable=True))
    op.create_table(
        "topic_feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("person_id", sa.Integer(), sa.ForeignKey("people.id", ondelete="CASCADE"), nullable=False),
        sa.Column("topic", sa.String(60), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_topic_feedback_person_id", "topic_feedback", ["person_id"])
    op.create_index("ix_topic_feedback_topic", "topic_feedback", ["topic"])


def downgrade() -> None:
    op.drop_table("topic_feedback")
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("topic")
