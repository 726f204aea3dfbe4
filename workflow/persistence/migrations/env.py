"""Alembic environment: runs on the connection juece passes in (``Database.upgrade``)."""

from alembic import context
from sqlalchemy import create_engine

from workflow.persistence.models import Base

config = context.config
target_metadata = Base.metadata
connection = config.attributes.get("connection")

if connection is None:  # plain `alembic` command line: JUECE_DATABASE_URL or the ini's URL
    import os

    from workflow.persistence.db import normalize_url

    url = normalize_url(os.environ.get("JUECE_DATABASE_URL") or config.get_main_option("sqlalchemy.url") or "")
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
