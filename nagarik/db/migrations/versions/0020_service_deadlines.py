"""a service's last date (property tax, licence renewal), for "what is the last date to ..."

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 03:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.add_column(sa.Column('deadline', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('services') as batch:
        batch.drop_column('deadline')
