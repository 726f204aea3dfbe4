"""Database access: the engine, the unit of work (the only place a transaction commits), migrations.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes, so two writers queue on the file lock
instead of failing halfway; PostgreSQL takes row locks (``FOR UPDATE``) in the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # A write transaction takes the write lock at once: no lock upgrade, no deadlock retry.
        conn.exec_driver_sql("BEGIN" if conn.info.get("readonly") else "BEGIN IMMEDIATE")


class Database:
    """One database: SQLite file (the default) or PostgreSQL."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        url = normalize_url(url)
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(url, connect_args={"timeout": 30})
            _sqlite_setup(self.engine)
        else:
            # No pre-ping: it costs a round trip on every checkout; recycled connections cover restarts.
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: commits when the block ends, rolls back on any exception."""
        with self.engine.connect() as conn:
            conn.info["readonly"] = False
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (consistent snapshot; never commits anything)."""
        with self.engine.connect() as conn:
            conn.info["readonly"] = True
            with conn.begin() as tx:
                yield conn
                tx.rollback()

    def upgrade(self, revision: str = "heads") -> str:
        """Create or migrate the schema to the newest revision (or ``revision``); return where it is now."""
        return self._migrate("upgrade", revision)

    def downgrade(self, revision: str) -> str:
        """Migrate the schema back to ``revision`` (a migration may refuse when data would be lost)."""
        return self._migrate("downgrade", revision)

    def _migrate(self, direction: str, revision: str) -> str:
        from alembic import command
        from alembic.config import Config
        from alembic.runtime.migration import MigrationContext

        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        sqlite = self.engine.dialect.name == "sqlite"
        with self.engine.connect() as conn:
            conn.info["readonly"] = False
            raw = conn.connection.driver_connection if sqlite else None
            if raw is not None:
                # Batch mode rebuilds tables that others reference. SQLite ignores this pragma inside a
                # transaction, so it is set on the driver's connection before one begins; checked after.
                raw.execute("PRAGMA foreign_keys=OFF")
            try:
                config.attributes["connection"] = conn
                getattr(command, direction)(config, revision)
                conn.commit()
                if raw is not None and raw.execute("PRAGMA foreign_key_check").fetchone() is not None:
                    raise RuntimeError("a migration left a foreign key dangling")
                return ",".join(sorted(MigrationContext.configure(conn).get_current_heads()))
            finally:
                if raw is not None:
                    conn.rollback()
                    raw.execute("PRAGMA foreign_keys=ON")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
