"""Transparency log: leaves in log order, the log key, published signed tree heads

Revision ID: 0004m
Revises: 0004c
Create Date: 2026-12-10 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0004m'
down_revision = '0004c'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('log_leaf',
    sa.Column('log_index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('event_id', BigId, nullable=False),
    sa.Column('leaf_hash', sa.String(length=64), nullable=False),
    sa.Column('sequenced_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('log_index', name=op.f('pk_log_leaf')),
    sa.UniqueConstraint('event_id', name=op.f('uq_log_leaf_event_id'))
    )
    op.create_table('log_key',
    sa.Column('key_hash', sa.String(length=8), nullable=False),
    sa.Column('origin', sa.String(length=200), nullable=False),
    sa.Column('public_hex', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('retired_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('key_hash', name=op.f('pk_log_key'))
    )
    op.create_table('tree_head',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root_hash', sa.String(length=64), nullable=False),
    sa.Column('timestamp', sa.DateTime(), nullable=False),
    sa.Column('key_hash', sa.String(length=8), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tree_head'))
    )
    with op.batch_alter_table('tree_head', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tree_head_tree_size'), ['tree_size'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('tree_head', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tree_head_tree_size'))
    op.drop_table('tree_head')
    op.drop_table('log_key')
    op.drop_table('log_leaf')
