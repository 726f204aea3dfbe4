"""Pages and health checks when the database cannot be reached: a 503 maintenance page in Chinese (English by
the switch) with Retry-After; /healthz and /readyz answer JSON whatever happens."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import psycopg
import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError

from tests.helpers import database_down
from tests.system import free_port
from tests.web.conftest import People
from workflow.persistence.db import unavailable
from workflow.service import Juece


def test_a_page_without_its_database_is_a_chinese_maintenance_page(core: Juece, people: People) -> None:
    client = people.client("owner")
    with database_down(core):
        page = client.get("/")
        text_ = page.get_data(as_text=True)
        assert page.status_code == 503 and page.headers["Retry-After"] == "5"
        assert page.mimetype == "text/html" and '<html lang="zh-CN">' in text_
        assert "系统维护中" in text_ and "数据库暂时无法访问" in text_ and "Traceback" not in text_
    assert client.get("/").status_code == 200  # back at once


def test_the_maintenance_page_speaks_english_after_the_switch(core: Juece, people: People) -> None:
    client = people.client("owner")
    client.get("/lang/en")
    with database_down(core):
        page = client.get("/")
    assert page.status_code == 503 and "Under maintenance" in page.get_data(as_text=True)


def test_health_checks_answer_json_with_and_without_the_database(app: Flask, core: Juece) -> None:
    client = app.test_client()
    assert client.get("/readyz").json == {"status": "ready", "database": "ok", "broker": "ok"}
    with database_down(core):
        live, ready = client.get("/healthz"), client.get("/readyz")
    assert live.status_code == 200 and live.json == {"status": "ok"}
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
    assert ready.json == {"status": "unavailable", "database": "unreachable", "code": "database_unavailable"}
    wrong = client.post("/healthz")
    assert wrong.status_code == 405 and wrong.is_json and wrong.json["status"] == "error"


def test_readiness_is_503_json_while_the_broker_cannot_be_reached(app: Flask) -> None:
    settings = app.config["JUECE_SETTINGS"]
    app.config["JUECE_SETTINGS"] = replace(settings, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "5"
    assert ready.json == {"status": "unavailable", "database": "ok", "broker": "unreachable",
                          "code": "broker_unavailable"}
    assert app.test_client().get("/healthz").status_code == 200  # alive all the same
    app.config["JUECE_SETTINGS"] = replace(settings, broker_url="sqla+sqlite:////nonexistent/broker.db")
    assert app.test_client().get("/readyz").json["broker"] == "embedded"


def test_only_connection_failures_count_as_unavailable(tmp_path: object) -> None:
    refused = psycopg.OperationalError("connection failed: Connection refused")
    assert unavailable(OperationalError("SELECT 1", {}, refused))
    assert not unavailable(IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")))
    assert not unavailable(OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")))
    assert not unavailable(RuntimeError("database is locked"))
    # A real SQLite lock held past the busy timeout, and a real refused PostgreSQL connection.
    engine = create_engine(f"sqlite:///{tmp_path}/locked.db", connect_args={"timeout": 0.05})
    holder = sqlite3.connect(f"{tmp_path}/locked.db", isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError) as locked, engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (1)"))
    holder.close()
    engine.dispose()
    assert unavailable(locked.value)
