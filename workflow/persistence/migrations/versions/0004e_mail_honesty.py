"""installation id; deliveries remember a hand-over whose answer never came

Message-IDs and the idempotency keys sent to receivers are qualified by a random id of this
installation, generated here once, so two installations never send the same id. A delivery records
when its current attempt handed the whole message over (``handed_over_at``) and how many attempts
ended after such a hand-over without an answer (``unconfirmed``): those are the possible duplicates.

Revision ID: 0004e
Revises: 0004m
Create Date: 2026-12-02 10:00:00.000000
"""

import datetime as dt
import secrets

import sqlalchemy as sa
from alembic import op

revision = '0004e'
down_revision = '0004m'
branch_labels = None
depends_on = None


def upgrade() -> None:
    installation = op.create_table('installation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('uid', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installation')),
    )
    op.bulk_insert(installation, [{"id": 1, "uid": secrets.token_hex(8),
                                   "created_at": dt.datetime.now(dt.UTC).replace(tzinfo=None)}])
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('unconfirmed', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_column('unconfirmed')
        batch_op.drop_column('handed_over_at')
    op.drop_table('installation')
