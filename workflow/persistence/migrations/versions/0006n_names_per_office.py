"""Names are unique per office: (org_id, name) replaces the global unique name of app_user

Revision ID: 0006n
Revises: 0006v
Create Date: 2026-11-29 20:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0006n'
down_revision = '0006v'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a constraint in place, so Alembic rebuilds the table there (with the
    # foreign keys off for the run: ``Database.upgrade``).
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_name'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_org_id_name'), ['org_id', 'name'])


def downgrade() -> None:
    # Refused rather than renaming anyone: a name used in two offices cannot become globally unique again.
    shared = op.get_bind().execute(sa.text(
        "SELECT name FROM app_user GROUP BY name HAVING COUNT(*) > 1 LIMIT 1")).scalar()
    if shared is not None:
        raise RuntimeError(f"cannot downgrade below 0006n: the name {shared!r} is used in more than one office")
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_app_user_org_id_name'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_app_user_name'), ['name'])
