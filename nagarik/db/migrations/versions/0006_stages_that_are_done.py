"""application stages that end the office's work (never called delayed)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('application_stages') as batch:
        batch.add_column(sa.Column('done', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('application_stages') as batch:
        batch.drop_column('done')
