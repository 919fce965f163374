"""status checks: failures counted per application number, and passed checks recorded

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        op.f('ix_status_check_failures_application_number'), 'status_check_failures', ['application_number'], unique=False
    )
    op.create_table('status_check_passes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sender', sa.String(length=32), nullable=False),
    sa.Column('application_number', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_status_check_passes_created_at'), 'status_check_passes', ['created_at'], unique=False)
    op.create_index(op.f('ix_status_check_passes_sender'), 'status_check_passes', ['sender'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_status_check_passes_sender'), table_name='status_check_passes')
    op.drop_index(op.f('ix_status_check_passes_created_at'), table_name='status_check_passes')
    op.drop_table('status_check_passes')
    op.drop_index(op.f('ix_status_check_failures_application_number'), table_name='status_check_failures')
