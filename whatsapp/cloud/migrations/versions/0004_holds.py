"""conversations an officer holds: the assistant stays silent for that citizen

Revision ID: whatsapp_0004
Revises: whatsapp_0003
Create Date: 2026-12-03 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "whatsapp_0004"
down_revision = "whatsapp_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_holds",
        sa.Column("sender", sa.String(64), primary_key=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("held_by", sa.String(64), nullable=False),
        sa.Column("since", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_holds")
