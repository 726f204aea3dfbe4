"""Database access: the engine, the unit of work (the only place a transaction commits), migrations.

SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` for writes, so two writers queue on the file lock
instead of failing halfway; PostgreSQL takes row locks (``FOR UPDATE``) in the store. PostgreSQL
connections are tested before use (pre-ping), so after a server restart the next request gets a live
one. ``unavailable`` tells a database that cannot be reached from every other error: each edge
answers it as "try again shortly" (503, a maintenance page), never as a failure of the request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

MIGRATIONS = Path(__file__).parent / "migrations"
#: Seconds a client is asked to wait (``Retry-After``) while the database cannot be reached.
RETRY_AFTER_SECONDS = 5
#: SQLSTATEs of a server that is shutting down, restarting, starting or full (PostgreSQL Appendix A).
_UNAVAILABLE_STATES = ("57P01", "57P02", "57P03", "53300")
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database file", "disk i/o error")
#: The transaction every write() and read() of this context joins while one is shared (``Database.shared``).
_SHARED: ContextVar[tuple[Engine, Connection] | None] = ContextVar("juece_shared_transaction", default=None)
#: The connection every write() and read() of this context uses while one is bound (``Database.bind``).
_BOUND: ContextVar[BoundConnection | None] = ContextVar("juece_bound_connection", default=None)
log = logging.getLogger(__name__)


def unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database cannot be reached now (down, restarting, locked), not that a
    statement was wrong: a retry later may succeed."""
    if isinstance(error, exc.DisconnectionError | exc.TimeoutError):
        return True
    if isinstance(error, exc.PendingRollbackError):  # a connection lost inside a transaction, used again
        return "invalid transaction" in str(error)
    if isinstance(error, exc.DBAPIError):
        if error.connection_invalidated:
            return True
        return _driver_unavailable(error.orig)
    return _driver_unavailable(error)


def _driver_unavailable(error: BaseException | None) -> bool:
    if error is None or type(error).__module__.split(".")[0] not in ("psycopg", "sqlite3"):
        return False
    if type(error).__module__.startswith("sqlite3"):
        return type(error).__name__ == "OperationalError" and str(error).lower().startswith(_SQLITE_UNAVAILABLE)
    import psycopg

    if not isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        return False
    state = getattr(error, "sqlstate", None)
    # No SQLSTATE: the failure is the connection itself (refused, reset, closed by the server).
    return state is None or state.startswith("08") or state in _UNAVAILABLE_STATES


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
            # Pre-ping costs a round trip per checkout; it buys that the first request after a server
            # restart gets a live connection instead of a dead one from the pool.
            self.engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800,
                                        pool_pre_ping=True)

    def _joined(self) -> Connection | None:
        shared = _SHARED.get()
        return shared[1] if shared is not None and shared[0] is self.engine else None

    def _bound(self) -> BoundConnection | None:
        bound = _BOUND.get()
        return bound if bound is not None and bound.engine is self.engine else None

    def bind(self) -> BoundConnection:
        """Bind one connection to this context (a web request) until ``release()``: every read() and write()
        in between takes its transaction on it instead of checking out a connection of its own.

        The connection is checked out at the first read() or write(), so a request that needs none takes
        none. Each read() and write() stays its own transaction; one begun while another is open on the
        bound connection is a savepoint inside it when both read, and a connection of its own otherwise
        (a write must never be rolled back with the read around it, nor upgrade a read lock on SQLite).
        """
        return BoundConnection(self.engine)

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection for one transaction: the bound one when it is free, else one from the pool."""
        bound = self._bound()
        if bound is not None and not bound.busy:
            conn = bound.connection()
            bound.busy = True
            try:
                yield conn
            finally:
                bound.busy = False
            return
        with self.engine.connect() as conn:
            yield conn

    def shared(self) -> SharedTransaction:
        """Begin a transaction that every write() and read() of this context joins until it ends.

        An edge that must record its answer in the same transaction as the change it answers (the
        API's ``Idempotency-Key``) opens it; each write() inside is a savepoint, so a refused change
        rolls back alone. It runs on the context's bound connection when there is one.
        """
        bound = self._bound()
        if bound is not None and not bound.busy:
            bound.busy = True
            return SharedTransaction(self.engine, bound)
        return SharedTransaction(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction: commits when the block ends, rolls back on any exception."""
        joined = self._joined()
        if joined is not None:
            with joined.begin_nested():
                yield joined
            return
        with self._connection() as conn:
            conn.info["readonly"] = False
            with conn.begin():
                yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only transaction (consistent snapshot; never commits anything)."""
        joined = self._joined()
        if joined is not None:
            # The shared transaction's own writes must be visible to its reads; the savepoint keeps a
            # failed query from aborting the whole transaction on PostgreSQL.
            with joined.begin_nested():
                yield joined
            return
        bound = self._bound()
        if bound is not None and bound.busy and bound.reading:
            # A read inside a read of the same request: a savepoint of the same snapshot, no second connection.
            with bound.connection().begin_nested():
                yield bound.connection()
            return
        with self._connection() as conn:
            conn.info["readonly"] = True
            reading = bound is not None and bound.owns(conn)
            if reading and bound is not None:
                bound.reading = True
            try:
                with conn.begin() as tx:
                    yield conn
                    tx.rollback()
            finally:
                if reading and bound is not None:
                    bound.reading = False

    def ping(self) -> None:
        """Ask the database one trivial question now; raises when it cannot answer (readiness)."""
        with self.read() as conn:
            conn.exec_driver_sql("SELECT 1")

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


class BoundConnection:
    """The one connection of a context (a web request), checked out at first use and returned by ``release``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        #: A transaction (or a shared one) is open on it now.
        self.busy = False
        #: The open transaction only reads.
        self.reading = False
        self._token: Token[BoundConnection | None] | None = _BOUND.set(self)

    def connection(self) -> Connection:
        """The bound connection, checked out from the pool the first time."""
        if self._conn is None:
            self._conn = self.engine.connect()
        return self._conn

    def owns(self, conn: Connection) -> bool:
        """True when ``conn`` is the bound connection."""
        return conn is self._conn

    def release(self) -> None:
        """Unbind, and return the connection to the pool (rolling back anything left open)."""
        if self._token is not None:
            try:
                _BOUND.reset(self._token)
            except ValueError:  # ended in another context than it began in: leave none bound here either
                _BOUND.set(None)
            self._token = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class SharedTransaction:
    """A write transaction joined by every ``Database.write()``/``read()`` of the context that began it."""

    def __init__(self, engine: Engine, bound: BoundConnection | None = None) -> None:
        self._bound = bound
        self.conn = bound.connection() if bound is not None else engine.connect()
        self.conn.info["readonly"] = False
        try:
            self._tx = self.conn.begin()
        except BaseException:
            self._close()
            raise
        self._token: Token[tuple[Engine, Connection] | None] | None = _SHARED.set((engine, self.conn))

    def _close(self) -> None:
        if self._bound is not None:  # the bound connection goes back to the pool when its request ends
            self._bound.busy = False
        else:
            self.conn.close()

    def _release(self) -> None:
        if self._token is not None:
            try:
                _SHARED.reset(self._token)
            except ValueError:  # ended in another context than it began in: leave none joined here either
                _SHARED.set(None)
            self._token = None
        self._close()

    def commit(self) -> None:
        """Commit everything done in it; an error (the server gone at that instant) propagates."""
        try:
            self._tx.commit()
        finally:
            self._release()

    def rollback(self) -> None:
        """Undo everything done in it (a lost connection has undone it already)."""
        try:
            if self._tx.is_active:
                self._tx.rollback()
        except Exception as error:  # noqa: BLE001 - the server rolls back a transaction whose connection is gone
            if not unavailable(error):
                raise
            log.warning("rollback on a lost connection: %s", error)
        finally:
            self._release()

    @property
    def open(self) -> bool:
        """Not yet committed or rolled back."""
        return self._token is not None
