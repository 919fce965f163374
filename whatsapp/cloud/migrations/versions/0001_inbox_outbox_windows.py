"""the channel's inbox, outbox and 24-hour windows (as the store created them before migrations)

Revision ID: whatsapp_0001
Revises:
Create Date: 2026-11-20 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "whatsapp_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "whatsapp_inbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("wamid", sa.String(191), nullable=False, unique=True),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(64)),
        sa.Column("lease_until", sa.Float()),
        sa.Column("not_before", sa.Float()),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("last_error", sa.Text()),
    )
    op.create_index("ix_whatsapp_inbox_sender", "whatsapp_inbox", ["sender"])
    op.create_index("ix_whatsapp_inbox_state", "whatsapp_inbox", ["state"])
    op.create_table(
        "whatsapp_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("wamid", sa.String(191), unique=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("inbound_wamid", sa.String(191)),
        sa.Column("body", sa.Text()),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16)),
        sa.Column("error_code", sa.Integer()),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float()),
        sa.Column("delivered_at", sa.Float()),
        sa.Column("read_at", sa.Float()),
        sa.Column("failed_at", sa.Float()),
    )
    op.create_index("ix_whatsapp_outbox_recipient", "whatsapp_outbox", ["recipient"])
    op.create_index("ix_whatsapp_outbox_inbound_wamid", "whatsapp_outbox", ["inbound_wamid"])
    op.create_table(
        "whatsapp_windows",
        sa.Column("sender", sa.String(64), primary_key=True),
        sa.Column("last_inbound_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("whatsapp_windows")
    op.drop_table("whatsapp_outbox")
    op.drop_table("whatsapp_inbox")
