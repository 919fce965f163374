"""media fetched from each citizen, for the daily quota

Revision ID: whatsapp_0003
Revises: whatsapp_0002
Create Date: 2026-12-03 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "whatsapp_0003"
down_revision = "whatsapp_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_media_fetches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("wamid", sa.String(191), nullable=False, unique=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer(), nullable=False),
        sa.Column("fetched_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_whatsapp_media_fetches_sender", "whatsapp_media_fetches", ["sender"])


def downgrade() -> None:
    op.drop_index("ix_whatsapp_media_fetches_sender", table_name="whatsapp_media_fetches")
    op.drop_table("whatsapp_media_fetches")
