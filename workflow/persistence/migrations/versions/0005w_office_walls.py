"""Offices are walls: office calendar overrides and document ownership

The working-day override table was shared by every office, so one office's administrator moved every
office's deadlines. ``office_calendar_day`` holds an office's own overrides (``calendar_day`` keeps the
national notices and the system administrator's corrections). ``document_owner`` records who stored
which bytes, so a hash is accepted in an action only from its uploader or from the office's decisions.

Revision ID: 0005w
Revises: 0004s
Create Date: 2026-12-12 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0005w'
down_revision = '0004s'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('office_calendar_day',
    sa.Column('org_id', BigId, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('entered_at', sa.DateTime(timezone=False), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_office_calendar_day_org_id_org')),
    sa.PrimaryKeyConstraint('org_id', 'day', name=op.f('pk_office_calendar_day'))
    )
    op.create_table('document_owner',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', BigId, nullable=False),
    sa.Column('org_id', BigId, nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=False), nullable=False),
    sa.ForeignKeyConstraint(['sha256'], ['document.sha256'], name=op.f('fk_document_owner_sha256_document')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_document_owner_user_id_app_user')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_document_owner_org_id_org')),
    sa.PrimaryKeyConstraint('sha256', 'user_id', name=op.f('pk_document_owner'))
    )
    op.create_index(op.f('ix_document_owner_org_id_sha256'), 'document_owner', ['org_id', 'sha256'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_document_owner_org_id_sha256'), table_name='document_owner')
    op.drop_table('document_owner')
    op.drop_table('office_calendar_day')
