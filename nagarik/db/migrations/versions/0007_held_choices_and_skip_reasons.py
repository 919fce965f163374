"""choices held by STOP (kept for START) and why a broadcast copy was skipped

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('subscriptions') as batch:
        batch.add_column(sa.Column('held_since', sa.DateTime(), nullable=True))
    with op.batch_alter_table('broadcast_recipients') as batch:
        batch.add_column(sa.Column('skip_reason', sa.String(length=32), nullable=True))
    # Citizens who said STOP before this column existed: their choices are held from then on.
    op.execute(
        "UPDATE subscriptions SET held_since = "
        "(SELECT citizens.opted_out_at FROM citizens WHERE citizens.phone = subscriptions.phone) "
        "WHERE phone IN (SELECT phone FROM citizens WHERE opted_out_at IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table('broadcast_recipients') as batch:
        batch.drop_column('skip_reason')
    with op.batch_alter_table('subscriptions') as batch:
        batch.drop_column('held_since')
