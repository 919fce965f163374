"""live handoffs: department, ward, the owning officer and the times of taking, first reply and closing;
the officer's replies (broadcasts of kind reply) name their handoff

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 18:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE handoffs SET status = 'taken' WHERE status = 'picked_up'")
    with op.batch_alter_table('handoffs') as batch:
        batch.add_column(sa.Column('department_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('ward_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('taken_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('first_reply_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('outcome', sa.String(length=32), nullable=True))
        batch.create_foreign_key('fk_handoffs_department_key', 'departments', ['department_key'], ['key'])
        batch.create_foreign_key('fk_handoffs_ward_key', 'wards', ['ward_key'], ['key'])
        batch.create_foreign_key('fk_handoffs_owner_id', 'officials', ['owner_id'], ['id'])
        batch.create_index('ix_handoffs_status', ['status'], unique=False)
    with op.batch_alter_table('broadcasts') as batch:
        batch.add_column(sa.Column('handoff_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_broadcasts_handoff_id', 'handoffs', ['handoff_id'], ['id'])
        batch.create_index('ix_broadcasts_handoff_id', ['handoff_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('broadcasts') as batch:
        batch.drop_index('ix_broadcasts_handoff_id')
        batch.drop_constraint('fk_broadcasts_handoff_id', type_='foreignkey')
        batch.drop_column('handoff_id')
    with op.batch_alter_table('handoffs') as batch:
        batch.drop_index('ix_handoffs_status')
        batch.drop_constraint('fk_handoffs_owner_id', type_='foreignkey')
        batch.drop_constraint('fk_handoffs_ward_key', type_='foreignkey')
        batch.drop_constraint('fk_handoffs_department_key', type_='foreignkey')
        for column in ('outcome', 'closed_at', 'first_reply_at', 'taken_at', 'owner_id', 'ward_key', 'department_key'):
            batch.drop_column(column)
    op.execute("UPDATE handoffs SET status = 'picked_up' WHERE status = 'taken'")
