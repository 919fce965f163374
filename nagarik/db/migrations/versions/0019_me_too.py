"""citizens who joined an existing grievance (me too)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'grievance_reporters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grievance_id', sa.Integer(), nullable=False),
        sa.Column('phone', sa.String(length=32), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('joined_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('grievance_id', 'phone'),
    )
    op.create_index(op.f('ix_grievance_reporters_grievance_id'), 'grievance_reporters', ['grievance_id'], unique=False)
    op.create_index(op.f('ix_grievance_reporters_phone'), 'grievance_reporters', ['phone'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_grievance_reporters_phone'), table_name='grievance_reporters')
    op.drop_index(op.f('ix_grievance_reporters_grievance_id'), table_name='grievance_reporters')
    op.drop_table('grievance_reporters')
