"""where people are reached (last channel, WhatsApp opt-in) and the reminder plan as a column

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00

- people.last_channel: the platform channel she last wrote from, from the turns already kept.
- channel_identities.opted_in_at: when she first wrote from it, from the turns; imported numbers that never wrote
  stay without one (they are listed, not messaged, on WhatsApp).
- meetings.remind_at (indexed) replaces one APScheduler job per meeting in `scheduler_jobs`: every meeting is planned
  again at the next start (scheduled_version cleared) and the job table goes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("last_channel", sa.String(16), nullable=True))
    with op.batch_alter_table("channel_identities") as batch:
        batch.add_column(sa.Column("opted_in_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("meetings") as batch:
        batch.add_column(sa.Column("remind_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_index("ix_meetings_remind_at", ["remind_at"])
    op.execute(
        "UPDATE people SET last_channel = (SELECT t.channel FROM turns t WHERE t.person_id = people.id"
        " AND t.direction = 'in' AND t.channel IN ('telegram', 'whatsapp') ORDER BY t.id DESC LIMIT 1)"
    )
    op.execute(
        "UPDATE channel_identities SET opted_in_at = (SELECT MIN(t.created_at) FROM turns t"
        " WHERE t.person_id = channel_identities.person_id AND t.channel = channel_identities.channel"
        " AND t.direction = 'in')"
    )
    op.execute("UPDATE meetings SET scheduled_version = NULL")
    op.execute("DROP TABLE IF EXISTS scheduler_jobs")


def downgrade() -> None:
    # The previous scheduler re-creates its job table and plans every meeting without a job at its next start.
    with op.batch_alter_table("meetings") as batch:
        batch.drop_index("ix_meetings_remind_at")
        batch.drop_column("remind_at")
    with op.batch_alter_table("channel_identities") as batch:
        batch.drop_column("opted_in_at")
    with op.batch_alter_table("people") as batch:
        batch.drop_column("last_channel")
