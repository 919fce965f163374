"""statuses of broadcast copies: the callback data Meta echoes, and the statuses kept for the workers

Revision ID: whatsapp_0002
Revises: whatsapp_0001
Create Date: 2026-12-01 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "whatsapp_0002"
down_revision = "whatsapp_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("whatsapp_outbox") as batch:
        batch.add_column(sa.Column("callback_data", sa.String(191)))
        batch.create_index("ix_whatsapp_outbox_callback_data", ["callback_data"])
    op.create_table(
        "whatsapp_broadcast_statuses",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("callback_data", sa.String(191), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_code", sa.Integer()),
        sa.Column("received_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_broadcast_statuses")
    with op.batch_alter_table("whatsapp_outbox") as batch:
        batch.drop_index("ix_whatsapp_outbox_callback_data")
        batch.drop_column("callback_data")
