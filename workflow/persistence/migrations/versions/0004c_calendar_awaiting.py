"""deadlines awaiting the calendar

A deadline (or a decision's stall clock, or an overdue alert's escalation) that needs a year without
official calendar data is stored with what is needed to compute it once that year's notice is imported.

Revision ID: 0004c
Revises: 0003a
Create Date: 2026-11-29 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004c'
down_revision = '0003a'
branch_labels = None
depends_on = None

Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
AWAITING = sa.text("awaiting IS NOT NULL")
STALL_AWAITING = sa.text("stall_awaiting IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.alter_column('fire_at', existing_type=sa.DateTime(), nullable=True)
        batch_op.alter_column('due_at', existing_type=sa.DateTime(), nullable=True)
        batch_op.add_column(sa.Column('awaiting', Json, nullable=True))
        batch_op.create_index('ix_deadline_awaiting', ['org_id'], unique=False, postgresql_where=AWAITING,
                              sqlite_where=AWAITING)

    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stall_awaiting', Json, nullable=True))
        batch_op.create_index('ix_decision_stall_awaiting', ['org_id'], unique=False,
                              postgresql_where=STALL_AWAITING, sqlite_where=STALL_AWAITING)


def downgrade() -> None:
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_stall_awaiting', postgresql_where=STALL_AWAITING,
                            sqlite_where=STALL_AWAITING)
        batch_op.drop_column('stall_awaiting')

    # Rows still awaiting have no instants: they cannot survive the NOT NULL columns of the old schema.
    op.execute("DELETE FROM deadline WHERE status = 'awaiting'")
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_awaiting', postgresql_where=AWAITING, sqlite_where=AWAITING)
        batch_op.drop_column('awaiting')
        batch_op.alter_column('due_at', existing_type=sa.DateTime(), nullable=False)
        batch_op.alter_column('fire_at', existing_type=sa.DateTime(), nullable=False)
