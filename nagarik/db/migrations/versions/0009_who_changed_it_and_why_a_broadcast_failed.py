"""who moved an application or a grievance (not "system" for everyone), why a broadcast failed

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows from before: their changes were recorded for nobody, i.e. "system".
    with op.batch_alter_table('applications') as batch:
        batch.add_column(sa.Column('updated_by', sa.String(length=64), server_default='system', nullable=False))
    with op.batch_alter_table('grievance_events') as batch:
        batch.add_column(sa.Column('changed_by', sa.String(length=64), server_default='system', nullable=False))
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('failure_reason', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_column('failure_reason')
    with op.batch_alter_table('grievance_events') as batch:
        batch.drop_column('changed_by')
    with op.batch_alter_table('applications') as batch:
        batch.drop_column('updated_by')
