"""grievances filed through Open311: where a grievance came from, and the contact its filer gave

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-05 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0014'  # no 0015 existed when this was written
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grievances') as batch:
        batch.add_column(sa.Column('source', sa.String(length=16), server_default='whatsapp', nullable=False))
        batch.add_column(sa.Column('contact_phone', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('contact_name', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('grievances') as batch:
        batch.drop_column('contact_name')
        batch.drop_column('contact_phone')
        batch.drop_column('source')
