"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-26 14:54:24.088855
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('actor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('from_state', sa.String(length=60), nullable=True),
    sa.Column('to_state', sa.String(length=60), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('event', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('stream', 'seq', name=op.f('uq_audit_event_stream_seq'))
    )
    op.create_table('audit_head',
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_audit_head'))
    )
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_workday', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('entered_by', sa.String(length=200), nullable=False),
    sa.Column('entered_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day'))
    )
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('imported_by', sa.String(length=200), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year'))
    )
    op.create_table('document',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_document'))
    )
    op.create_table('org',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('settings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org')),
    sa.UniqueConstraint('name', name=op.f('uq_org_name'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('roles', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_app_user_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('name', name=op.f('uq_app_user_name'))
    )
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_user_org_id'), ['org_id'], unique=False)

    op.create_table('decision',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('procedure_id', sa.String(length=60), nullable=False),
    sa.Column('procedure_version', sa.String(length=40), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('state', sa.String(length=60), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('linked_from', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('stall_due_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['linked_from'], ['decision.id'], name=op.f('fk_decision_linked_from_decision')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_decision_org_id_org')),
    sa.ForeignKeyConstraint(['owner_id'], ['app_user.id'], name=op.f('fk_decision_owner_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decision'))
    )
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.create_index('ix_decision_org_id_state', ['org_id', 'state'], unique=False)
        batch_op.create_index('ix_decision_stall_due_at', ['stall_due_at'], unique=False, postgresql_where=sa.text('stall_due_at IS NOT NULL'), sqlite_where=sa.text('stall_due_at IS NOT NULL'))

    op.create_table('user_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('public_hex', sa.String(length=64), nullable=False),
    sa.Column('private_pem', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_user_key_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_key')),
    sa.UniqueConstraint('key_id', name=op.f('uq_user_key_key_id'))
    )
    with op.batch_alter_table('user_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_key_user_id'), ['user_id'], unique=False)

    op.create_table('deadline',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('org_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('fire_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('recipients', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('article', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('dedupe', sa.String(length=160), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_deadline_decision_id_decision')),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_deadline_org_id_org')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline')),
    sa.UniqueConstraint('dedupe', name=op.f('uq_deadline_dedupe'))
    )
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.create_index('ix_deadline_decision_id_key', ['decision_id', 'key'], unique=False)
        batch_op.create_index('ix_deadline_open_fire_at', ['fire_at'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))

    op.create_table('document_version',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('decision_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('version_no', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('event_seq', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_document_version_created_by_app_user')),
    sa.ForeignKeyConstraint(['decision_id'], ['decision.id'], name=op.f('fk_document_version_decision_id_decision')),
    sa.ForeignKeyConstraint(['sha256'], ['document.sha256'], name=op.f('fk_document_version_sha256_document')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_version')),
    sa.UniqueConstraint('decision_id', 'kind', 'version_no', name=op.f('uq_document_version_decision_id_kind_version_no'))
    )



def downgrade() -> None:

    op.drop_table('document_version')
    with op.batch_alter_table('deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_open_fire_at', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
        batch_op.drop_index('ix_deadline_decision_id_key')

    op.drop_table('deadline')
    with op.batch_alter_table('user_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_key_user_id'))

    op.drop_table('user_key')
    with op.batch_alter_table('decision', schema=None) as batch_op:
        batch_op.drop_index('ix_decision_stall_due_at', postgresql_where=sa.text('stall_due_at IS NOT NULL'), sqlite_where=sa.text('stall_due_at IS NOT NULL'))
        batch_op.drop_index('ix_decision_org_id_state')

    op.drop_table('decision')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_user_org_id'))

    op.drop_table('app_user')
    op.drop_table('org')
    op.drop_table('document')
    op.drop_table('calendar_year')
    op.drop_table('calendar_day')
    op.drop_table('audit_head')
    op.drop_table('audit_event')

