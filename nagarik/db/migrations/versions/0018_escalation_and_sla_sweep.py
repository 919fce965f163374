"""escalation levels and the SLA sweep's marks

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grievances') as batch:
        batch.add_column(sa.Column('escalation_level', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('escalated_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('ack_reminded_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('interim_sent_at', sa.DateTime(), nullable=True))
        batch.create_index('ix_grievances_sweep', ['status', 'category_key', 'created_at'])
    with op.batch_alter_table('grievance_categories') as batch:
        batch.add_column(sa.Column('escalation', sa.JSON(), nullable=True))
    with op.batch_alter_table('offices') as batch:
        batch.add_column(sa.Column('appellate', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('offices') as batch:
        batch.drop_column('appellate')
    with op.batch_alter_table('grievance_categories') as batch:
        batch.drop_column('escalation')
    with op.batch_alter_table('grievances') as batch:
        batch.drop_index('ix_grievances_sweep')
        batch.drop_column('interim_sent_at')
        batch.drop_column('ack_reminded_at')
        batch.drop_column('escalated_at')
        batch.drop_column('escalation_level')
