"""Fixtures: a real database (SQLite file, or PostgreSQL in its own schema), a clock the test moves,
the application core, and the people of a test office."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from tests.helpers import PASSWORD, PEOPLE, Clock
from workflow.admin import offices as admin
from workflow.engine.catalog import default_catalog
from workflow.persistence.db import Database, normalize_url
from workflow.record import keys
from workflow.record.keywrap import FAST
from workflow.service import Juece

IN_CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_url() -> str | None:
    """The PostgreSQL server for tests, or None (a failure in CI, a skip elsewhere)."""
    url = normalize_url(os.environ.get("JUECE_TEST_POSTGRES_URL", DEFAULT_PG))
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001 - any connection failure means "not available"
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but not reachable at {url}: {exc}")
        return None
    finally:
        engine.dispose()
    return url


@pytest.fixture()
def clock() -> Clock:
    """A clock the test moves; starts on a Monday morning in Shanghai."""
    return Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))


def _pg_schema_db(base: str) -> Iterator[Database]:
    schema = "t_" + uuid.uuid4().hex[:12]
    admin_engine = create_engine(base)
    with admin_engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    database = Database(f"{base}{sep}options={quote(f'-csearch_path={schema}')}", pool_size=25)
    try:
        yield database
    finally:
        database.dispose()
        with admin_engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin_engine.dispose()


@pytest.fixture()
def database(tmp_path: object) -> Iterator[Database]:
    """The database under test: SQLite unless JUECE_TEST_DATABASE=postgresql."""
    if os.environ.get("JUECE_TEST_DATABASE", "sqlite") == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("PostgreSQL not reachable (set JUECE_TEST_POSTGRES_URL)")
        yield from _pg_schema_db(url)
        return
    database = Database(f"sqlite:///{tmp_path}/juece.db")
    yield database
    database.dispose()


@pytest.fixture()
def pg_database() -> Iterator[Database]:
    """A PostgreSQL database whatever the run's backend (for lock and concurrency tests)."""
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL not reachable (set JUECE_TEST_POSTGRES_URL)")
    yield from _pg_schema_db(url)


def make_core(database: Database, clock: Clock) -> Juece:
    """A migrated core with the test office's people, each with their own password (and so a key).

    argon2id runs at its lowest cost here (``FAST``): the same code path, quick enough for every test.
    """
    database.upgrade()
    core = Juece(database, default_catalog(), b"test-secret", clock, kdf=FAST)
    for name, roles, unit, org in PEOPLE:
        admin.add_user(core, name, roles, org, unit=unit)
        keys.change_password(core, name, PASSWORD)
    return core


@pytest.fixture()
def core(database: Database, clock: Clock) -> Juece:
    """The application core over the test database, with the test office's people."""
    return make_core(database, clock)
