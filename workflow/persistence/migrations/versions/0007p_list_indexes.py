"""Indexes for the list pages: each list's WHERE and ORDER BY served by one index (keyset pagination)

Revision ID: 0007p
Revises: 0006n
Create Date: 2026-11-30 01:10:00.000000

* decision (org_id, id): the API's list, newest first; the public's candidates.
* decision (org_id, state, id): the API's list by state; the inbox's states (replaces (org_id, state), its prefix).
* decision (org_id, created_at, id): the yearly catalogue, oldest first.
* notification (user_id, id): a person's notifications on the inbox page, newest first.
* notification (org_id, user_id, id): the API's notifications, the person's and the office group's.
"""

from alembic import op

revision = '0007p'
down_revision = '0006n'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_decision_org_id_id', 'decision', ['org_id', 'id'], unique=False)
    op.create_index('ix_decision_org_id_state_id', 'decision', ['org_id', 'state', 'id'], unique=False)
    op.drop_index('ix_decision_org_id_state', table_name='decision')
    op.create_index('ix_decision_org_id_created_at_id', 'decision', ['org_id', 'created_at', 'id'], unique=False)
    op.create_index('ix_notification_user_id_id', 'notification', ['user_id', 'id'], unique=False)
    op.create_index('ix_notification_org_id_user_id_id', 'notification', ['org_id', 'user_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_notification_org_id_user_id_id', table_name='notification')
    op.drop_index('ix_notification_user_id_id', table_name='notification')
    op.drop_index('ix_decision_org_id_created_at_id', table_name='decision')
    op.create_index('ix_decision_org_id_state', 'decision', ['org_id', 'state'], unique=False)
    op.drop_index('ix_decision_org_id_state_id', table_name='decision')
    op.drop_index('ix_decision_org_id_id', table_name='decision')
