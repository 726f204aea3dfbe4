"""Benchmark: the deadline scan's cost by table size, and alert latency from due instant to SMTP receipt.

One command runs everything (see bench/README.md)::

    .venv/bin/python bench/deadlines.py --out bench/results/deadlines.json

What it measures, on PostgreSQL:

(a) ``workflow.notices.alerts.scan(core, now)`` with 10 000, 100 000 and 1 000 000 open deadline rows (bulk-inserted
    with one ``INSERT … SELECT generate_series``, fire_at spread at random over two years, spread over a few
    thousand decisions), when nothing is due and when 10 or 100 rows are due (successive 'now' instants, each
    finding a fresh slot of due rows). Median and p95 per scan, the scan's due-rows SELECT alone, and
    ``EXPLAIN (ANALYZE, BUFFERS)`` of the three SELECTs a scan issues (captured as SQLAlchemy emits them),
    checked for the partial indexes ix_deadline_open_fire_at, ix_deadline_escalate_at and
    ix_decision_stall_due_at. Also what PostgreSQL itself counted (index scans, sequential scans) and whether
    the prepared statements psycopg makes after 5 executions ran generic or custom plans.
(b) a real Celery worker and beat (tests/system.py ``Processes``: file clock, real processes) on Redis and on
    the embedded broker (kombu SQLAlchemy transport on a SQLite file), PostgreSQL as the database, an aiosmtpd
    server in this process. K deadlines fall due a few seconds apart; for each, latency = wall time the SMTP
    server received the message minus the wall time of the due instant (file clock mapped to wall time:
    written instant + elapsed since the file's mtime), with the default scan interval (10 s) and with 1 s.

This folder holds ``transitions.py``, named like the ``transitions`` library the engine uses, so the folder is
taken off sys.path before anything else is imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email
import email.policy
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.helpers / tests.system (the tests package is not installed)

import sqlalchemy  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from sqlalchemy import Engine, create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from config.runtime import file_clock  # noqa: E402
from tests import helpers  # noqa: E402
from tests.system import Processes, free_port, wait_for  # noqa: E402
from workflow.admin import offices as admin  # noqa: E402
from workflow.engine.catalog import Catalog, default_catalog  # noqa: E402
from workflow.notices import alerts  # noqa: E402
from workflow.persistence.db import Database, normalize_url  # noqa: E402
from workflow.persistence.store import DL, DY, naive  # noqa: E402
from workflow.service import Juece  # noqa: E402

SECRET = b"bench-secret"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SCAN_DB = "bench_deadlines"
ALERT_DB = "bench_deadlines_alerts"
OFFICE = "古塘街道"
CST = helpers.CST
#: Part (a) scans at this instant (a Monday; the installed calendar knows 2026, needed for escalation days).
NOW0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST).astimezone(dt.UTC)
#: Part (b)'s file clock starts here.
ALERT_START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=CST)
KEY, ARTICLE = "legality_review_due", "Art. 26"
INDEXES = {"due": "ix_deadline_open_fire_at", "escalation": "ix_deadline_escalate_at",
           "stall": "ix_decision_stall_due_at"}
#: (name, roles, e-mail). The scan's rows go to legal_reviewer + supervisor (chief): two e-mails per row.
PEOPLE = [("owner", ["owner"], None), ("reviewer", ["legal_reviewer"], "reviewer@gutang.test"),
          ("chief", ["chief_executive"], "chief@gutang.test"), ("adviser", ["legal_adviser"], None)]


# -- small utilities ------------------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


@contextmanager
def timed(label: str) -> Iterator[dict[str, float]]:
    box: dict[str, float] = {}
    start = time.monotonic()
    log(f"{label} …")
    yield box
    box["seconds"] = time.monotonic() - start
    log(f"{label}: {box['seconds']:.1f} s")


def db_url(base: str, name: str) -> str:
    return make_url(normalize_url(base)).set(database=name).render_as_string(hide_password=False)


def admin_engine(base: str) -> Engine:
    return create_engine(normalize_url(base), isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool)


def recreate_database(base: str, name: str) -> None:
    engine = admin_engine(base)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


def stats(values: list[float]) -> dict[str, Any]:
    if not values:
        return {"n": 0}
    return {"n": len(values), "median": statistics.median(values), "p95": percentile(values, 0.95),
            "min": min(values), "max": max(values), "mean": statistics.fmean(values)}


def machine_info(base: str) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    engine = admin_engine(base)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version()").scalar_one()
        settings = dict(conn.exec_driver_sql(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN ('shared_buffers', "
            "'work_mem', 'random_page_cost', 'effective_cache_size', 'plan_cache_mode', 'jit', "
            "'synchronous_commit', 'fsync', 'autovacuum')").all())
    engine.dispose()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    redis_version = ""
    if shutil.which("redis-server"):
        redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
    import celery
    import kombu
    import psycopg

    return {
        "nproc": nproc, "cpu_model": model.group(1).strip() if model else "?",
        "mem_gib": round(int(mem.group(1)) / 1048576, 1) if mem else None,
        "kernel": platform.release(), "postgresql": version, "pg_settings": settings,
        "python": sys.version.split()[0], "python_executable": sys.executable,
        "sqlalchemy": sqlalchemy.__version__, "psycopg": psycopg.__version__, "psycopg_impl": psycopg.pq.__impl__,
        "celery": celery.__version__, "kombu": kombu.__version__, "redis_server": redis_version,
        "git_head": head, "git_tracked_changes": bool(dirty), "loadavg_at_start": os.getloadavg(),
    }


def add_people(core: Juece, people: list[tuple[str, list[str], str | None]]) -> None:
    for name, roles, mail in people:
        admin.add_user(core, name, roles, OFFICE, email=mail)
    admin.update_org_settings(core, OFFICE, {"supervisor": "chief"})


# -- (a) the scan -----------------------------------------------------------------------------------------
class Capture:
    """Counts the statements a scan sends and keeps the last one of each of the scan's three SELECTs."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.last: dict[str, tuple[str, dict[str, Any]]] = {}
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        self.count += 1
        if not statement.lstrip().startswith("SELECT") or "FOR UPDATE" not in statement:
            return
        if "FROM deadline" in statement and "deadline.fire_at <=" in statement:
            self.last["due"] = (statement, dict(parameters))
        elif "FROM deadline" in statement and "deadline.escalate_at <=" in statement:
            self.last["escalation"] = (statement, dict(parameters))
        elif "FROM decision" in statement and "decision.stall_due_at <=" in statement:
            self.last["stall"] = (statement, dict(parameters))


def with_instant(params: dict[str, Any], moment: dt.datetime) -> dict[str, Any]:
    """The captured parameters with every datetime replaced by ``moment`` (naive UTC, as the scan binds it)."""
    return {k: (naive(moment) if isinstance(v, dt.datetime) else v) for k, v in params.items()}


def explain(conn: sqlalchemy.Connection, statement: str, params: dict[str, Any], index: str) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of the statement with its parameters inlined (as psycopg would send them
    client-side), and of the same statement prepared with parameters under plan_cache_mode=force_generic_plan
    (the plan a prepared statement may switch to). Each in a transaction rolled back (the SELECTs lock rows
    FOR UPDATE). ``conn`` is the benchmark's own connection, not the scan's."""
    import psycopg

    client = psycopg.ClientCursor(conn.connection.dbapi_connection)  # type: ignore[arg-type]
    literal = client.mogrify(statement, params)
    names = list(params)
    positional = statement
    for i, name in enumerate(names, 1):
        positional = positional.replace(f"%({name})s", f"${i}")
    with conn.begin() as tx:
        plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + literal)]
        tx.rollback()
    with conn.begin() as tx:
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        conn.exec_driver_sql("PREPARE bench_generic AS " + positional)
        values = client.mogrify(", ".join(["%s"] * len(names)), tuple(params[n] for n in names))
        generic = [r[0] for r in conn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE bench_generic({values})")]
        tx.rollback()
    conn.exec_driver_sql("DEALLOCATE bench_generic")
    conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")  # keep these scans out of the next counter window
    conn.commit()
    out: dict[str, Any] = {"index": index, "sql": literal, "plan": plan, "generic_plan": generic}
    for key, lines in (("", plan), ("generic_", generic)):
        body = "\n".join(lines)
        out[f"{key}access"] = re.findall(r"((?:Bitmap Index Scan|Index Only Scan|Index Scan) (?:using|on) \S+|"
                                         r"Seq Scan on \S+)", body)
        out[f"{key}uses_index"] = any(a.endswith(f" {index}") for a in out[f"{key}access"])
        out[f"{key}seq_scan"] = "Seq Scan" in body
        m = re.search(r"Execution Time: ([\d.]+) ms", body)
        out[f"{key}execution_ms"] = float(m.group(1)) if m else None
    return out


def setup_scan_database(base: str, catalog: Catalog, decisions: int) -> tuple[Juece, dict[str, Any]]:
    url = db_url(base, SCAN_DB)
    recreate_database(base, SCAN_DB)
    clock = helpers.Clock(NOW0)
    core = Juece(Database(url, pool_size=1), catalog, SECRET, clock)
    core.db.upgrade()
    add_people(core, PEOPLE)
    first = core.create_decision("cn-713", "界牌新潮塘未来社区建设", "owner")
    with core.db.write() as conn:
        # Clones of one real decision; stall instants spread over 60 days from tomorrow (none due in the scans).
        conn.execute(text(
            "INSERT INTO decision (org_id, procedure_id, procedure_version, title, owner_id, state, version, facts, "
            "last_hash, linked_from, created_at, updated_at, stall_due_at) "
            "SELECT org_id, procedure_id, procedure_version, title || ' #' || g, owner_id, state, version, facts, "
            "last_hash, NULL, created_at, updated_at, NULL FROM decision, generate_series(2, :n) g WHERE id = :id"),
            {"n": decisions, "id": first})
        conn.execute(text("SELECT setseed(0.5)"))
        conn.execute(text("UPDATE decision SET stall_due_at = :t + interval '1 day' + random() * interval '60 days'"),
                     {"t": naive(NOW0)})
        lo, hi, count = conn.execute(text("SELECT min(id), max(id), count(*) FROM decision")).one()
        org_id = conn.execute(text("SELECT org_id FROM decision WHERE id = :id"), {"id": first}).scalar_one()
    assert hi - lo + 1 == count == decisions, (lo, hi, count)
    vacuum(base, "decision")
    return core, {"url": url, "first_decision": lo, "decisions": count, "org_id": org_id}


def vacuum(base: str, table: str) -> None:
    engine = create_engine(db_url(base, SCAN_DB), isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    engine.dispose()


def slot_instant(due_counts: list[int], reps: int, n: int, r: int) -> dt.datetime:
    """Scan instant of slot r (0 = warm-up) of the scenario with n due rows: one minute apart, after NOW0."""
    before = sum(reps + 2 for m in due_counts if m < n)
    return NOW0 + dt.timedelta(minutes=1 + before + r)


def load_deadlines(core: Juece, base: str, info: dict[str, Any], size: int, due_counts: list[int],
                   reps: int) -> dict[str, Any]:
    """TRUNCATE, then ``size`` open rows: the due slots of every scenario, and the rest at random over two years."""
    slot_rows = sum((reps + 1) * n for n in due_counts)
    background = size - slot_rows
    assert background > 0, f"size {size} too small for {slot_rows} slot rows"
    common = {"org": info["org_id"], "d0": info["first_decision"], "nd": info["decisions"], "key": KEY,
              "article": ARTICLE, "created": naive(NOW0)}
    t0 = time.monotonic()
    with core.db.write() as conn:
        conn.execute(text("TRUNCATE delivery, notification, deadline RESTART IDENTITY"))
        for n in due_counts:
            # Slot r's n rows fall due in the 5 seconds before its instant (after slot r-1 was scanned).
            conn.execute(text(
                "INSERT INTO deadline (org_id, decision_id, key, kind, fire_at, due_at, recipients, article, status, "
                "created_at) SELECT :org, :d0 + (g % :nd), :key, CASE WHEN g % 2 = 0 THEN 'due' ELSE 'reminder' END, "
                "f, CASE WHEN g % 2 = 0 THEN f ELSE f + interval '3 days' END, "
                "'[\"legal_reviewer\", \"supervisor\"]'::jsonb, :article, 'open', :created "
                "FROM (SELECT g, CAST(:first AS timestamp) + (g / :n) * interval '1 minute' "
                "- (g % :n + 1) * (interval '5 seconds' / :n) AS f "
                "FROM generate_series(0, :rows - 1) g) s"),
                common | {"first": naive(slot_instant(due_counts, reps, n, 0)), "n": n, "rows": (reps + 1) * n})
        conn.execute(text("SELECT setseed(0.25)"))
        conn.execute(text(
            "INSERT INTO deadline (org_id, decision_id, key, kind, fire_at, due_at, recipients, article, status, "
            "created_at) SELECT :org, :d0 + (g % :nd), :key, CASE WHEN g % 3 = 0 THEN 'due' ELSE 'reminder' END, "
            "f, CASE WHEN g % 3 = 0 THEN f ELSE f + interval '2 days' END, "
            "'[\"legal_reviewer\", \"supervisor\"]'::jsonb, :article, 'open', :created "
            "FROM (SELECT g, CAST(:start AS timestamp) + random() * interval '730 days' AS f "
            "FROM generate_series(1, :n) g) s"),
            common | {"start": naive(NOW0 + dt.timedelta(days=1)), "n": background})
    inserted = time.monotonic() - t0
    t1 = time.monotonic()
    vacuum(base, "deadline")
    vacuumed = time.monotonic() - t1
    with core.db.read() as conn:
        row = conn.execute(text(
            "SELECT count(*) FILTER (WHERE status = 'open') AS open, min(fire_at) AS first, max(fire_at) AS last, "
            "pg_relation_size('deadline') AS heap, pg_relation_size('ix_deadline_open_fire_at') AS ix_open, "
            "pg_total_relation_size('deadline') AS total FROM deadline")).one()
    return {"open_rows": int(row.open), "slot_rows": slot_rows, "background_rows": background,
            "insert_seconds": inserted, "vacuum_analyze_seconds": vacuumed, "heap_bytes": int(row.heap),
            "ix_deadline_open_fire_at_bytes": int(row.ix_open), "total_bytes_with_indexes": int(row.total),
            "fire_at_range": [str(row.first), str(row.last)]}


def select_alone(core: Juece, statement: str, params: dict[str, Any], reps: int) -> tuple[list[float], int]:
    """The scan's due-rows SELECT (FOR UPDATE SKIP LOCKED) alone, each in its own transaction, rolled back."""
    times, rows = [], 0
    for _ in range(reps):
        with core.db.engine.connect() as conn, conn.begin() as tx:
            start = time.perf_counter()
            rows = len(conn.exec_driver_sql(statement, params).all())
            times.append(1000 * (time.perf_counter() - start))
            tx.rollback()
    return times, rows


def pg_counters(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        idx = dict(conn.execute(text(
            "SELECT indexrelname, idx_scan FROM pg_stat_user_indexes WHERE indexrelname = ANY(:names)"),
            {"names": list(INDEXES.values())}).all())
        seq = dict(conn.execute(text(
            "SELECT relname, seq_scan FROM pg_stat_user_tables WHERE relname IN ('deadline', 'decision')")).all())
    return {**{f"idx_scan_{k}": int(v) for k, v in idx.items()}, **{f"seq_scan_{k}": int(v) for k, v in seq.items()}}


class Counters:
    """What PostgreSQL counted (index scans, sequential scans) while only the timed scans ran."""

    def __init__(self, core: Juece) -> None:
        self.core = core
        self.total: dict[str, int] = {}
        self.prepared: dict[str, list[dict[str, Any]]] = {}

    def _snapshot(self) -> dict[str, int]:
        with self.core.db.engine.connect() as conn:  # the scan's own connection (pool of one)
            conn.exec_driver_sql("SELECT pg_stat_force_next_flush()")
            conn.commit()
        time.sleep(0.05)  # the backend flushes when it goes idle
        return pg_counters(self.core.db.engine)

    @contextmanager
    def window(self, label: str) -> Iterator[None]:
        before = self._snapshot()
        yield
        # Before anything rolls back on this connection: psycopg forgets its prepared statements on a ROLLBACK.
        self.prepared[label] = prepared_statements(self.core)
        after = self._snapshot()
        for k, v in after.items():
            self.total[k] = self.total.get(k, 0) + v - before.get(k, 0)


def prepared_statements(core: Juece) -> list[dict[str, Any]]:
    """Statements psycopg prepared on the scan's connection (after 5 executions), and the plans they ran.
    Read in a committed transaction: psycopg deallocates all of them when it sees a ROLLBACK."""
    with core.db.write() as conn:
        rows = conn.execute(text(
            "SELECT name, statement, generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE statement LIKE :pattern ORDER BY name"), {"pattern": "%FOR UPDATE%"}).all()
    out = []
    for r in rows:
        which = next((k for k, marker in (("due", "fire_at <="), ("escalation", "escalate_at <="),
                                          ("stall", "stall_due_at <=")) if marker in r.statement), "other")
        out.append({"query": which, "name": r.name, "generic_plans": int(r.generic_plans),
                    "custom_plans": int(r.custom_plans)})
    return out


def run_scan_size(core: Juece, base: str, info: dict[str, Any], capture: Capture, size: int,
                  due_counts: list[int], reps: int) -> dict[str, Any]:
    with timed(f"(a) {size} open deadline rows: bulk insert + VACUUM ANALYZE"):
        loaded = load_deadlines(core, base, info, size, due_counts, reps)
    log(f"(a) {size}: insert {loaded['insert_seconds']:.1f} s, vacuum analyze {loaded['vacuum_analyze_seconds']:.1f} s, "
        f"heap {loaded['heap_bytes'] / 2**20:.0f} MiB, ix_deadline_open_fire_at "
        f"{loaded['ix_deadline_open_fire_at_bytes'] / 2**20:.1f} MiB")
    out: dict[str, Any] = {"size": size, "load": loaded, "scenarios": {}, "loadavg_before_scans": os.getloadavg()}
    counters = Counters(core)
    explain_engine = create_engine(info["url"], poolclass=sqlalchemy.pool.NullPool)
    econn = explain_engine.connect()

    def one_scan(now: dt.datetime) -> tuple[float, alerts.ScanResult, int]:
        before = capture.count
        start = time.perf_counter()
        result = alerts.scan(core, now)
        return 1000 * (time.perf_counter() - start), result, capture.count - before

    # Nothing due: the same instant again and again (a scan that finds nothing changes nothing).
    for _ in range(3):
        one_scan(NOW0)  # warm-up (connection, catalogue, calendar)
    captured = dict(capture.last)
    sel_times, sel_rows = select_alone(core, *captured["due"], reps)
    with counters.window("0"):
        runs = [one_scan(NOW0) for _ in range(reps)]
    bad = [r.as_dict() for _, r, _ in runs if r.notifications or r.reminders or r.overdue]
    out["scenarios"]["0"] = {"due": 0, "scan_ms": stats([t for t, _, _ in runs]), "select_alone_ms": stats(sel_times),
                             "select_rows": sel_rows, "statements_per_scan": runs[-1][2],
                             "unexpected": bad, "scan_ms_raw": [t for t, _, _ in runs]}
    plans = {"nothing_due": {q: explain(econn, *captured[q], INDEXES[q]) for q in INDEXES}}
    log(f"(a) {size}, nothing due: scan median {out['scenarios']['0']['scan_ms']['median']:.2f} ms, p95 "
        f"{out['scenarios']['0']['scan_ms']['p95']:.2f} ms; due SELECT alone median {stats(sel_times)['median']:.2f} ms")

    for n in due_counts:
        one_scan(slot_instant(due_counts, reps, n, 0))  # warm-up slot
        first = slot_instant(due_counts, reps, n, 1)
        params = with_instant(captured["due"][1], first)
        sel_times, sel_rows = select_alone(core, captured["due"][0], params, reps)
        if n == max(due_counts):
            plans[f"due_{n}"] = {"due": explain(econn, captured["due"][0], params, INDEXES["due"])}
        with counters.window(str(n)):
            runs = [one_scan(slot_instant(due_counts, reps, n, r)) for r in range(1, reps + 1)]
        found = [r.reminders + r.overdue for _, r, _ in runs]
        out["scenarios"][str(n)] = {
            "due": n, "scan_ms": stats([t for t, _, _ in runs]), "select_alone_ms": stats(sel_times),
            "select_rows": sel_rows, "statements_per_scan": stats([float(c) for _, _, c in runs]),
            "fired_per_scan": sorted(set(found)), "all_found": all(f == n for f in found),
            "notifications_per_scan": sorted({r.notifications for _, r, _ in runs}),
            "deliveries_per_scan": sorted({r.deliveries for _, r, _ in runs}),
            "problems": sorted({p for _, r, _ in runs for p in r.problems}),
            "scan_ms_per_due_row": statistics.median(t for t, _, _ in runs) / n,
            "scan_ms_raw": [t for t, _, _ in runs]}
        s = out["scenarios"][str(n)]
        log(f"(a) {size}, {n} due: scan median {s['scan_ms']['median']:.1f} ms, p95 {s['scan_ms']['p95']:.1f} ms "
            f"({s['scan_ms_per_due_row']:.2f} ms/row, {s['statements_per_scan']['median']:.0f} statements); due SELECT "
            f"alone median {s['select_alone_ms']['median']:.2f} ms ({sel_rows} rows); all found: {s['all_found']}")
    # The escalation query once fired overdue rows wait in its index (none due yet).
    waiting = econn.execute(text("SELECT count(*) FROM deadline WHERE status = 'fired' AND escalated_at IS NULL "
                                 "AND acknowledged_at IS NULL AND escalate_at IS NOT NULL")).scalar_one()
    econn.commit()
    plans["after_due_scans"] = {"escalation": explain(econn, *capture.last["escalation"], INDEXES["escalation"])}
    plans["after_due_scans"]["escalation"]["rows_waiting_for_escalation"] = int(waiting)
    econn.close()
    explain_engine.dispose()
    out["pg_counters_during_timed_scans"] = counters.total
    out["timed_scans"] = reps * (1 + len(due_counts))
    out["prepared_statements"] = counters.prepared
    out["plans"] = plans
    for label, group in plans.items():
        for q, p in group.items():
            log(f"(a) {size} plan {label}/{q}: index {p['index']} used={p['uses_index']} seq_scan={p['seq_scan']} "
                f"({p['execution_ms']} ms); forced generic: used={p['generic_uses_index']} "
                f"seq_scan={p['generic_seq_scan']} ({p['generic_execution_ms']} ms); {p['access']}")
    log(f"(a) {size}: PostgreSQL counted during the {out['timed_scans']} timed scans: {counters.total}; "
        f"prepared: {out['prepared_statements']}")
    return out


def run_scans(base: str, catalog: Catalog, sizes: list[int], due_counts: list[int], reps: int,
              decisions: int) -> dict[str, Any]:
    with timed(f"(a) fresh {SCAN_DB} with {decisions} decisions"):
        core, info = setup_scan_database(base, catalog, decisions)
    capture = Capture(core.db.engine)
    out: dict[str, Any] = {"database": SCAN_DB, "decisions": info["decisions"], "now": NOW0.isoformat(),
                           "reps": reps, "due_counts": due_counts, "sizes": {}}
    for size in sizes:
        out["sizes"][str(size)] = run_scan_size(core, base, info, capture, size, due_counts, reps)
    core.db.dispose()
    return out


# -- (b) alert latency ---------------------------------------------------------------------------------------
class TimedSink:
    """An aiosmtpd handler that stamps every message with the wall time its DATA completed."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        at = time.time()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append({"at": at, "key": str(message["X-Juece-Idempotency-Key"] or ""),
                                  "to": str(message["To"]), "subject": str(message["Subject"])})
        return "250 OK queued"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def flush_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


def worker_scanned(tmp: Path) -> bool:
    path = tmp / "worker-w1.log"
    return path.exists() and re.search(r"juece\.scan_deadlines\[[^\]]+\] succeeded", path.read_text(errors="replace")) is not None


def run_latency(base: str, catalog: Catalog, broker: str, interval: float, count: int, spacing: float,
                lead: float, redis_url: str, relay_seconds: float) -> dict[str, Any]:
    url = db_url(base, ALERT_DB)
    recreate_database(base, ALERT_DB)
    sink = TimedSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-deadlines-{broker}-"))
    if broker == "redis":
        flush_redis(redis_url)
        broker_url = redis_url
    else:
        broker_url = f"sqla+sqlite:///{tmp}/broker.db"
    processes = Processes(tmp, url, broker_url, int(controller.port), helpers.Clock(ALERT_START))
    written = ALERT_START.astimezone(dt.UTC)
    mtime = processes.clock_file.stat().st_mtime
    for knob in ("JUECE_DELIVERY_LEASE_SECONDS", "JUECE_DELIVERY_BACKOFF_SECONDS", "JUECE_DELIVERY_MAX_ATTEMPTS"):
        processes.env.pop(knob, None)  # the defaults, not the system tests' short ones
    processes.env |= {"JUECE_SCAN_SECONDS": f"{interval:g}", "JUECE_RELAY_SECONDS": f"{relay_seconds:g}"}

    def wall(moment: dt.datetime) -> float:
        """The wall time (epoch seconds) at which the file clock shows ``moment``."""
        return mtime + (moment - written).total_seconds()

    core = Juece(Database(url, pool_size=2), catalog, SECRET, file_clock(processes.clock_file))
    result: dict[str, Any] = {"broker": broker, "broker_url": broker_url if broker == "redis" else "sqla+sqlite (temp file)",
                              "scan_seconds": interval, "relay_seconds": relay_seconds, "deadlines": count,
                              "spacing_seconds": spacing, "loadavg_at_start": os.getloadavg()}
    try:
        core.db.upgrade()
        add_people(core, [("owner", ["owner"], None), ("reviewer", ["legal_reviewer"], "reviewer@gutang.test"),
                          ("chief", ["chief_executive"], None)])
        dids = [core.create_decision("cn-713", f"时延测试决策 {i + 1}", "owner") for i in range(count)]
        t_start = time.time()
        processes.worker()
        processes.beat()
        try:
            wait_for(lambda: worker_scanned(tmp), 90 + 2 * interval, "the worker's first deadline scan")
        except AssertionError as exc:
            result |= {"error": str(exc), "logs": processes.logs()[-6000:], "expected": count, "received": 0}
            raise
        result["startup_to_first_scan_seconds"] = time.time() - t_start
        now = core.clock()
        due = {}
        with core.db.write() as conn:
            for i, did in enumerate(dids):
                fire = now + dt.timedelta(seconds=lead + i * spacing)
                kind = "due" if i % 2 == 0 else "reminder"
                row_id = conn.execute(insert(DL).values(
                    org_id=conn.execute(text("SELECT org_id FROM decision WHERE id = :d"), {"d": did}).scalar_one(),
                    decision_id=did, key=KEY, kind=kind, fire_at=naive(fire),
                    due_at=naive(fire if kind == "due" else fire + dt.timedelta(days=2)), recipients=["legal_reviewer"],
                    article=ARTICLE, status="open", created_at=naive(now)).returning(DL.c.id)).scalar_one()
                due[int(row_id)] = fire
        expected = len(due)
        budget = lead + count * spacing + 2 * interval + 60
        try:
            wait_for(lambda: sink.count() >= expected, budget, f"{expected} e-mails")
        except AssertionError as exc:
            result["error"] = str(exc)
            result["logs"] = processes.logs()[-6000:]
        time.sleep(min(3.0, interval))  # anything sent twice would show up now
        with core.db.read() as conn:
            fired = {int(r.id): r.fired_at for r in conn.execute(select(DL.c.id, DL.c.fired_at).where(DL.c.id.in_(due)))}
            sent = {str(r.idempotency_key): r.attempts for r in conn.execute(select(DY.c.idempotency_key, DY.c.attempts))}
    finally:
        processes.close()
        controller.stop()
        core.db.dispose()
    samples = []
    with sink.lock:
        received = list(sink.received)
    per_deadline: dict[int, int] = {}
    for msg in received:
        m = re.match(r"deadline:(\d+):", msg["key"])
        if not m or int(m.group(1)) not in due:
            continue
        did = int(m.group(1))
        per_deadline[did] = per_deadline.get(did, 0) + 1
        due_wall = wall(due[did])
        fired_at = fired.get(did)
        fired_wall = wall(fired_at.replace(tzinfo=dt.UTC)) if fired_at else None
        samples.append({"deadline": did, "latency_s": msg["at"] - due_wall,
                        "due_to_scan_s": (fired_wall - due_wall) if fired_wall else None,
                        "scan_to_smtp_s": (msg["at"] - fired_wall) if fired_wall else None,
                        "attempts": sent.get(msg["key"])})
    samples.sort(key=lambda s: s["deadline"])
    result |= {
        "received": len(received), "expected": expected, "missing": sorted(set(due) - set(per_deadline)),
        "duplicates": {k: v for k, v in per_deadline.items() if v > 1},
        "latency_s": stats([s["latency_s"] for s in samples]),
        "due_to_scan_s": stats([s["due_to_scan_s"] for s in samples if s["due_to_scan_s"] is not None]),
        "scan_to_smtp_s": stats([s["scan_to_smtp_s"] for s in samples if s["scan_to_smtp_s"] is not None]),
        "samples": samples,
    }
    shutil.rmtree(tmp, ignore_errors=True)
    return result


def run_latencies(base: str, catalog: Catalog, brokers: list[str], intervals: list[float], count: int,
                  spacing: float, lead: float, redis_url: str, relay_seconds: float) -> list[dict[str, Any]]:
    runs = []
    for broker in brokers:
        for interval in intervals:
            with timed(f"(b) latency on {broker}, scan every {interval:g} s, {count} deadlines"):
                r = run_latency(base, catalog, broker, interval, count, spacing, lead, redis_url, relay_seconds)
            lat = r["latency_s"]
            log(f"(b) {broker} {interval:g} s: {r['received']}/{r['expected']} e-mails, latency median "
                f"{lat.get('median', float('nan')):.2f} s, p95 {lat.get('p95', float('nan')):.2f} s, max "
                f"{lat.get('max', float('nan')):.2f} s; scan→SMTP median "
                f"{r['scan_to_smtp_s'].get('median', float('nan')):.2f} s" + (f"; ERROR {r['error']}" if "error" in r else ""))
            runs.append(r)
    return runs


# -- report ---------------------------------------------------------------------------------------------
def markdown(res: dict[str, Any]) -> str:
    m = res["machine"]
    lines = [
        "# Deadline scan and alert latency", "",
        f"Command: `{res['command']}`  ",
        f"Started {res['started']}, took {res['wall_seconds']:.0f} s. Machine: {m['nproc']} CPUs ({m['cpu_model']}), "
        f"{m['mem_gib']} GiB, shared; {m['postgresql'].split(' on ')[0]}; Python {m['python']}, SQLAlchemy "
        f"{m['sqlalchemy']}, psycopg {m['psycopg']} ({m['psycopg_impl']}); Celery {m['celery']}; {m['redis_server']}. "
        f"git {m['git_head']}{' (with uncommitted changes)' if m['git_tracked_changes'] else ''}; load average at start "
        f"{', '.join(f'{x:.2f}' for x in m['loadavg_at_start'])}.", "",
    ]
    a = res.get("scan")
    if a:
        lines += [
            "## (a) One `alerts.scan(core, now)` by table size", "",
            f"{a['decisions']} decisions; open deadline rows bulk-inserted, fire_at at random over two years except the "
            f"due slots; {a['reps']} scans per cell after warm-up. Each due row notifies 2 people with e-mail "
            "addresses: 2 notifications + 2 deliveries. Times in ms (median / p95).", "",
            "| open rows | nothing due: scan | 10 due: scan | 100 due: scan | due SELECT alone (0 / 100 due) | "
            "ix_deadline_open_fire_at |", "|---|---|---|---|---|---|",
        ]
        for size, s in a["sizes"].items():
            cells = []
            for n in ["0", *[str(x) for x in a["due_counts"]]]:
                c = s["scenarios"].get(n)
                cells.append(f"{c['scan_ms']['median']:.1f} / {c['scan_ms']['p95']:.1f}" if c else "–")
            top = str(max(a["due_counts"]))
            sel = f"{s['scenarios']['0']['select_alone_ms']['median']:.2f} / {s['scenarios'][top]['select_alone_ms']['median']:.2f}"
            lines.append(f"| {int(size):,} | " + " | ".join(cells[:3]) + f" | {sel} | "
                         f"{s['load']['ix_deadline_open_fire_at_bytes'] / 2**20:.1f} MiB |")
        lines += ["", "Per due row, and statements per scan:", ""]
        for size, s in a["sizes"].items():
            parts = []
            for n in a["due_counts"]:
                c = s["scenarios"][str(n)]
                parts.append(f"{n} due: {c['scan_ms_per_due_row']:.2f} ms/row, {c['statements_per_scan']['median']:.0f} "
                             f"statements, all found {c['all_found']}")
            lines.append(f"* {int(size):,}: nothing due {s['scenarios']['0']['statements_per_scan']} statements; "
                         + "; ".join(parts) + f"; bulk load {s['load']['insert_seconds']:.1f} s INSERT + "
                         f"{s['load']['vacuum_analyze_seconds']:.1f} s VACUUM ANALYZE; load average before the scans "
                         f"{s['loadavg_before_scans'][0]:.1f}.")
        lines += ["", "### Plans", "", "EXPLAIN (ANALYZE, BUFFERS) of the three SELECTs as the scan sent them (parameters "
                  "inlined), and of the same statement prepared with its parameters under "
                  "`plan_cache_mode = force_generic_plan`.", "",
                  "| open rows | query (when) | access path | expected index used | exec ms | forced generic plan: "
                  "access path, exec ms |", "|---|---|---|---|---|---|"]
        for size, s in a["sizes"].items():
            for label, group in s["plans"].items():
                for q, p in group.items():
                    lines.append(f"| {int(size):,} | {q} ({label}) | {', '.join(p['access'])} | "
                                 f"{'yes' if p['uses_index'] and not p['seq_scan'] else 'NO'} | {p['execution_ms']} | "
                                 f"{', '.join(p['generic_access'])}, {p['generic_execution_ms']} |")
        lines += ["", "PostgreSQL's own counters during the timed scans (pg_stat_user_indexes / _tables) and the "
                  "prepared statements psycopg made on the scan's connection:", ""]
        for size, s in a["sizes"].items():
            prep = "; ".join(f"{label} due: " + (", ".join(f"{p['query']} {p['custom_plans']} custom / "
                                                           f"{p['generic_plans']} generic" for p in group) or "none")
                             for label, group in s["prepared_statements"].items())
            lines.append(f"* {int(size):,} ({s['timed_scans']} timed scans): {s['pg_counters_during_timed_scans']}; "
                         f"prepared: {prep or 'none'}")
        largest = list(a["sizes"].values())[-1]
        lines += ["", f"Plans at {largest['size']:,} rows (EXPLAIN (ANALYZE, BUFFERS)):", ""]
        for label, group in largest["plans"].items():
            for q, p in group.items():
                lines += [f"{q} ({label}):", "", "```", *p["plan"], "```", ""]
    b = res.get("latency")
    if b:
        lines += ["## (b) Alert latency: due instant → SMTP server received the message", "",
                  "Real Celery worker (threads, concurrency 2) and beat as processes, PostgreSQL, aiosmtpd in the "
                  "benchmark process; one e-mail per deadline. Seconds.", "",
                  "| broker | scan interval | e-mails | latency median | p95 | max | due → scan (median / max) | "
                  "scan → SMTP (median / max) |", "|---|---|---|---|---|---|---|---|"]
        for r in b:
            lat, w, p = r["latency_s"], r["due_to_scan_s"], r["scan_to_smtp_s"]
            if not lat.get("n"):
                lines.append(f"| {r['broker']} | {r['scan_seconds']:g} s | {r['received']}/{r['expected']} | – | – | – | – | – |")
                continue
            lines.append(f"| {r['broker']} | {r['scan_seconds']:g} s | {r['received']}/{r['expected']} | "
                         f"{lat['median']:.2f} | {lat['p95']:.2f} | {lat['max']:.2f} | {w['median']:.2f} / {w['max']:.2f} | "
                         f"{p['median']:.2f} / {p['max']:.2f} |")
        lines += ["", "due → scan: from the due instant to the start of the scan that fired the row (its fired_at), "
                  "including beat → broker → worker; with due instants spread evenly it averages half the scan "
                  "interval. scan → SMTP: the scan's transaction, then the relay and deliver tasks (two more hops "
                  "through the broker; the embedded broker polls every 0.2 s) and the SMTP conversation; with a long "
                  "interval one scan fires several rows whose e-mails queue for the worker's two threads. "
                  "Load average at the start of each run: "
                  + ", ".join(f"{r['broker']} {r['scan_seconds']:g} s {r['loadavg_at_start'][0]:.1f}" for r in b)
                  + ". Missing or duplicated e-mails: "
                  + "; ".join(f"{r['broker']} {r['scan_seconds']:g} s: missing {r['missing']}, duplicates {r['duplicates']}"
                              for r in b) + "."]
    return "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "deadlines.json")
    parser.add_argument("--url", default=os.environ.get("JUECE_BENCH_POSTGRES_URL", DEFAULT_URL),
                        help="an existing database on the server (for CREATE/DROP DATABASE)")
    parser.add_argument("--sizes", default="10000,100000,1000000", help="open deadline rows, comma-separated")
    parser.add_argument("--due", default="10,100", help="due rows per scan in the 'due' scenarios")
    parser.add_argument("--reps", type=int, default=20, help="timed scans per size and scenario")
    parser.add_argument("--decisions", type=int, default=3000, help="decision rows the deadlines spread over")
    parser.add_argument("--brokers", default="redis,embedded")
    parser.add_argument("--intervals", default="10,1", help="scan intervals (JUECE_SCAN_SECONDS) for (b)")
    parser.add_argument("--alerts", type=int, default=20, help="deadlines per latency run")
    parser.add_argument("--spacing", type=float, default=1.37, help="seconds between their due instants")
    parser.add_argument("--lead", type=float, default=3.0, help="seconds from creation to the first due instant")
    parser.add_argument("--relay-seconds", type=float, default=2.0, help="JUECE_RELAY_SECONDS (the default)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15", help="flushed before each Redis run")
    parser.add_argument("--skip-scan", action="store_true")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args(argv)
    out = args.out.resolve()
    os.chdir(ROOT)  # the worker and beat import worker.celery_app from the project folder
    sizes = [int(x) for x in args.sizes.split(",") if x.strip()]
    due_counts = sorted(int(x) for x in args.due.split(",") if x.strip())
    wall0, started = time.monotonic(), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    catalog = default_catalog()
    out.parent.mkdir(parents=True, exist_ok=True)
    res: dict[str, Any] = {
        "started": started,
        "command": " ".join([".venv/bin/python", "bench/deadlines.py", *(argv if argv is not None else sys.argv[1:])]),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine_info(args.url),
    }
    log(f"machine: {res['machine']['nproc']} CPUs, {res['machine']['postgresql'].split(' on ')[0]}")
    ok = True
    if not args.skip_scan:
        res["scan"] = run_scans(args.url, catalog, sizes, due_counts, args.reps, args.decisions)
        for s in res["scan"]["sizes"].values():
            ok &= all(c.get("all_found", True) and not c.get("unexpected") for c in s["scenarios"].values())
    if not args.skip_latency:
        res["latency"] = run_latencies(args.url, catalog, [b for b in args.brokers.split(",") if b],
                                       [float(x) for x in args.intervals.split(",") if x.strip()], args.alerts,
                                       args.spacing, args.lead, args.redis_url, args.relay_seconds)
        ok &= all(not r["missing"] and not r["duplicates"] and "error" not in r for r in res["latency"])
    res["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    res["wall_seconds"] = time.monotonic() - wall0
    res["ok"] = ok
    out.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str) + "\n")
    md = out.with_suffix(".md")
    md.write_text(markdown(res))
    log(f"wrote {out} and {md} ({res['wall_seconds']:.0f} s), ok={ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
