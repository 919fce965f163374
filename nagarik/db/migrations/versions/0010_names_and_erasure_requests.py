"""citizens' names (corrected by chat) and erasure requests (the right to erasure)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('citizens') as batch:
        batch.add_column(sa.Column('name', sa.String(length=128), nullable=True))
    op.create_table(
        'erasure_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('cutoff', sa.Float(), nullable=False),
        sa.Column('kept', sa.JSON(), nullable=False),
        sa.Column('media', sa.JSON(), nullable=False),
        sa.Column('passes', sa.Integer(), nullable=False),
        sa.Column('last_pass_at', sa.DateTime(), nullable=True),
        sa.Column('done_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_erasure_requests_phone'), 'erasure_requests', ['phone'], unique=False)
    op.create_index(op.f('ix_erasure_requests_done_at'), 'erasure_requests', ['done_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_erasure_requests_done_at'), table_name='erasure_requests')
    op.drop_index(op.f('ix_erasure_requests_phone'), table_name='erasure_requests')
    op.drop_table('erasure_requests')
    with op.batch_alter_table('citizens') as batch:
        batch.drop_column('name')
