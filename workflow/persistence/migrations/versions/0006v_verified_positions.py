"""Verified positions: how far each audit stream, and which documents, verified clean

Revision ID: 0006v
Revises: 0005l
Create Date: 2026-11-29 20:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0006v'
down_revision = '0005l'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_verified_stream',
    sa.Column('stream', sa.String(length=40), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('row_hash', sa.String(length=64), nullable=True),
    sa.Column('verified_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('stream', name=op.f('pk_audit_verified_stream'))
    )
    op.create_table('audit_verified_document',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_audit_verified_document'))
    )


def downgrade() -> None:
    op.drop_table('audit_verified_document')
    op.drop_table('audit_verified_stream')
