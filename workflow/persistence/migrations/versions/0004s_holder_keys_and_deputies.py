"""Holder-only signing keys and deputy grants

Private keys were sealed under the instance secret, so anyone with the database and the secret could
sign as anyone. This revision deletes those private halves (their public halves stay, so every old
signature still verifies; the keys are marked ``legacy`` and the application records their retirement
in the system stream), adds the columns of keys sealed under their holder's password, and the
deputy grants table.

Revision ID: 0004s
Revises: 0004e
Create Date: 2026-12-10 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0004s'
down_revision = '0004e'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
Json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('user_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), nullable=False, server_default='legacy'))
        batch_op.add_column(sa.Column('sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('wrap', Json, nullable=True))
        batch_op.add_column(sa.Column('retired_reason', sa.String(length=200), nullable=True))
        # The private halves under the instance secret are exactly what the auditor found: gone.
        batch_op.drop_column('private_pem')

    op.create_table('deputy_grant',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('org_id', BigId, nullable=False),
    sa.Column('principal_id', BigId, nullable=False),
    sa.Column('deputy_id', BigId, nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('granted_by', BigId, nullable=False),
    sa.Column('granted_at', sa.DateTime(), nullable=False),
    sa.Column('system_seq', sa.Integer(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', BigId, nullable=True),
    sa.Column('revoke_reason', sa.Text(), nullable=True),
    sa.Column('expiry_recorded_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['org_id'], ['org.id'], name=op.f('fk_deputy_grant_org_id_org')),
    sa.ForeignKeyConstraint(['principal_id'], ['app_user.id'], name=op.f('fk_deputy_grant_principal_id_app_user')),
    sa.ForeignKeyConstraint(['deputy_id'], ['app_user.id'], name=op.f('fk_deputy_grant_deputy_id_app_user')),
    sa.ForeignKeyConstraint(['granted_by'], ['app_user.id'], name=op.f('fk_deputy_grant_granted_by_app_user')),
    sa.ForeignKeyConstraint(['revoked_by'], ['app_user.id'], name=op.f('fk_deputy_grant_revoked_by_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deputy_grant'))
    )
    with op.batch_alter_table('deputy_grant', schema=None) as batch_op:
        batch_op.create_index('ix_deputy_grant_deputy_id_ends_at', ['deputy_id', 'ends_at'], unique=False)
        batch_op.create_index('ix_deputy_grant_org_id_ends_at', ['org_id', 'ends_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deputy_grant', schema=None) as batch_op:
        batch_op.drop_index('ix_deputy_grant_org_id_ends_at')
        batch_op.drop_index('ix_deputy_grant_deputy_id_ends_at')
    op.drop_table('deputy_grant')
    # The deleted private halves cannot come back: a downgraded instance verifies but cannot sign.
    with op.batch_alter_table('user_key', schema=None) as batch_op:
        batch_op.add_column(sa.Column('private_pem', sa.LargeBinary(), nullable=True))
        batch_op.drop_column('retired_reason')
        batch_op.drop_column('wrap')
        batch_op.drop_column('sealed')
        batch_op.drop_column('kind')
