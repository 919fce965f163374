"""the departments' grievance work: assignee, acknowledgement, internal notes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grievances') as batch:
        batch.add_column(sa.Column('assignee_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('acknowledged_at', sa.DateTime(), nullable=True))
        batch.create_foreign_key('fk_grievances_assignee_id', 'officials', ['assignee_id'], ['id'])
        batch.create_index('ix_grievances_assignee_id', ['assignee_id'], unique=False)
    op.create_table(
        'grievance_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('grievance_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('detail', sa.String(length=128), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_grievance_notes_grievance_id'), 'grievance_notes', ['grievance_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_grievance_notes_grievance_id'), table_name='grievance_notes')
    op.drop_table('grievance_notes')
    with op.batch_alter_table('grievances') as batch:
        batch.drop_index('ix_grievances_assignee_id')
        batch.drop_constraint('fk_grievances_assignee_id', type_='foreignkey')
        batch.drop_column('acknowledged_at')
        batch.drop_column('assignee_id')
