"""several processes on one database: leases, shared send budgets, outbox lanes and claims

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Kinds that go in the first lane: someone is waiting for them (bot/outbox.py, URGENT_KINDS).
URGENT = ("reply", "progress", "complaint", "escalation", "answer")


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(80), nullable=False),
        # Seconds since the epoch on the database's clock (PostgreSQL), so every replica reads one clock.
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "send_budgets",
        sa.Column("account", sa.String(80), primary_key=True),
        sa.Column("next_at", sa.Float(), nullable=False),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lane", sa.SmallInteger(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("claimed_by", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_outbox_lane", ["channel", "status", "lane", "id"])
        batch.create_index("ix_outbox_recipient", ["channel", "recipient", "status"])
    outbox = sa.table("outbox", sa.column("kind", sa.String), sa.column("lane", sa.SmallInteger))
    op.execute(outbox.update().where(outbox.c.kind.in_(URGENT)).values(lane=0))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_recipient")
        batch.drop_index("ix_outbox_lane")
        batch.drop_column("parts_sent")
        batch.drop_column("claimed_by")
        batch.drop_column("lane")
    op.drop_table("send_budgets")
    op.drop_table("leases")
