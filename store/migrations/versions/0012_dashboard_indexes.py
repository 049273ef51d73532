"""dashboard indexes: a person's identities by channel

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-02 04:15:00

The Jangkauan page asks, for each of thousands of families, whether she has a usable identity on each channel
(store/reach.py, `reached_on`); with only the person_id index PostgreSQL combined it with the (channel,
external_id) index and read thousands of rows per family. (Revises 0009 on this branch; the lead re-chains it after
0010/0011 at merge.)
"""

from alembic import op

revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_channel_identities_person_channel", "channel_identities", ["person_id", "channel"])


def downgrade() -> None:
    op.drop_index("ix_channel_identities_person_channel", table_name="channel_identities")
