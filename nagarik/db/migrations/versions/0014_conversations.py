"""conversations read from Rasa's event broker, and officials' flags, tags, notes and reviews

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'conversations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(length=255), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('last_at', sa.DateTime(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('ward_key', sa.String(length=64), nullable=True),
        sa.Column('session_key', sa.String(length=64), nullable=True),
        sa.Column('user_messages', sa.Integer(), nullable=False),
        sa.Column('bot_messages', sa.Integer(), nullable=False),
        sa.Column('fallbacks', sa.Integer(), nullable=False),
        sa.Column('low_confidence', sa.Integer(), nullable=False),
        sa.Column('has_handoff', sa.Boolean(), nullable=False),
        sa.Column('has_grievance', sa.Boolean(), nullable=False),
        sa.Column('tags', sa.JSON(), nullable=False),
        sa.Column('reviewed_at', sa.DateTime(), nullable=True),
        sa.Column('reviewed_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('session_key'),
    )
    for column in ('sender', 'started_at', 'last_at', 'language', 'ward_key', 'has_handoff', 'has_grievance'):
        op.create_index(op.f(f'ix_conversations_{column}'), 'conversations', [column], unique=False)
    op.create_table(
        'turns',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('sender', sa.String(length=255), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('text', sa.Text(), nullable=True),
        sa.Column('intent', sa.String(length=128), nullable=True),
        sa.Column('confidence', sa.Float(), nullable=True),
        sa.Column('action', sa.String(length=128), nullable=True),
        sa.Column('data', sa.JSON(), nullable=True),
        sa.Column('event_key', sa.String(length=64), nullable=False),
        sa.Column('flagged_at', sa.DateTime(), nullable=True),
        sa.Column('flagged_by', sa.String(length=64), nullable=True),
        sa.Column('flag_note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('event_key'),
    )
    for column in ('conversation_id', 'sender', 'at', 'intent'):
        op.create_index(op.f(f'ix_turns_{column}'), 'turns', [column], unique=False)
    op.create_table(
        'conversation_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('ref', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('conversation_id', 'kind', 'ref'),
    )
    op.create_index(op.f('ix_conversation_links_conversation_id'), 'conversation_links', ['conversation_id'], unique=False)
    op.create_index(op.f('ix_conversation_links_ref'), 'conversation_links', ['ref'], unique=False)
    op.create_table(
        'conversation_notes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('conversation_id', sa.Integer(), nullable=False),
        sa.Column('author', sa.String(length=64), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_conversation_notes_conversation_id'), 'conversation_notes', ['conversation_id'], unique=False)
    op.create_table(
        'conversation_cursors',
        sa.Column('source', sa.String(length=255), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('source'),
    )


def downgrade() -> None:
    op.drop_table('conversation_cursors')
    op.drop_index(op.f('ix_conversation_notes_conversation_id'), table_name='conversation_notes')
    op.drop_table('conversation_notes')
    op.drop_index(op.f('ix_conversation_links_ref'), table_name='conversation_links')
    op.drop_index(op.f('ix_conversation_links_conversation_id'), table_name='conversation_links')
    op.drop_table('conversation_links')
    for column in ('conversation_id', 'sender', 'at', 'intent'):
        op.drop_index(op.f(f'ix_turns_{column}'), table_name='turns')
    op.drop_table('turns')
    for column in ('sender', 'started_at', 'last_at', 'language', 'ward_key', 'has_handoff', 'has_grievance'):
        op.drop_index(op.f(f'ix_conversations_{column}'), table_name='conversations')
    op.drop_table('conversations')
