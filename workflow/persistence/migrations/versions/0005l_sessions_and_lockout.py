"""Server-side web sessions and durable sign-in failure counters

Revision ID: 0005l
Revises: 0005w
Create Date: 2026-11-29 18:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005l'
down_revision = '0005w'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('web_session',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', BigId, nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.Column('ended_reason', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_web_session_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_web_session_secret_hash'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)
    op.create_table('auth_failure',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=260), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_failure'))
    )
    with op.batch_alter_table('auth_failure', schema=None) as batch_op:
        batch_op.create_index('ix_auth_failure_key_at', ['key', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('auth_failure', schema=None) as batch_op:
        batch_op.drop_index('ix_auth_failure_key_at')
    op.drop_table('auth_failure')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))
    op.drop_table('web_session')
