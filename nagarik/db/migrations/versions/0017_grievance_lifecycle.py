"""the grievance lifecycle: states, transfers, ratings, appeals, reopening

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 23:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('grievances') as batch:
        batch.add_column(sa.Column('resolved_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('rating', sa.String(length=16), nullable=True))
        batch.add_column(sa.Column('rated_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('appeal_reason', sa.Text(), nullable=True))
        batch.add_column(sa.Column('appealed_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('appeal_due_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('transfer_count', sa.Integer(), server_default='0', nullable=False))
        batch.add_column(sa.Column('reopened_count', sa.Integer(), server_default='0', nullable=False))
    op.execute("UPDATE grievances SET status = 'registered' WHERE status = 'open'")
    op.execute("UPDATE grievance_events SET status = 'registered' WHERE status = 'open'")
    # A grievance resolved or closed before the lifecycle: when it was, from its history, so the
    # reopen window and the closing of unrated ones count from the right moment.
    for column, status in (('resolved_at', 'resolved'), ('closed_at', 'closed')):
        op.execute(
            f"UPDATE grievances SET {column} = (SELECT MAX(e.created_at) FROM grievance_events e "
            f"WHERE e.grievance_id = grievances.id AND e.status = '{status}') WHERE status = '{status}'"
        )
    # Transfers already made count against the limit.
    op.execute(
        "UPDATE grievances SET transfer_count = (SELECT COUNT(*) FROM grievance_notes n "
        "WHERE n.grievance_id = grievances.id AND n.kind = 'transferred')"
    )


def downgrade() -> None:
    # The old statuses had only open, in_progress, resolved, closed and rejected: the new ones the
    # office works on become open, the citizen's ends closed.
    for table in ('grievances', 'grievance_events'):
        op.execute(f"UPDATE {table} SET status = 'open' WHERE status IN ('registered', 'acknowledged', 'assigned', 'reopened')")
        op.execute(f"UPDATE {table} SET status = 'closed' WHERE status IN ('appealed', 'appeal_decided')")
    with op.batch_alter_table('grievances') as batch:
        for column in ('reopened_count', 'transfer_count', 'appeal_due_on', 'appealed_at', 'appeal_reason',
                       'rated_at', 'rating', 'closed_at', 'resolved_at'):
            batch.drop_column(column)
