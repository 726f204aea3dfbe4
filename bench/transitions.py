"""Benchmark: audited transitions/s through ``Juece.act`` against ``pgbench -N``, and storage per decision.

One command runs everything (see bench/README.md)::

    .venv/bin/python bench/transitions.py --out bench/results/transitions.json

What it measures, on PostgreSQL:

(a) accepted ``Juece.act`` calls per second with 1, 4 and 8 concurrent clients. Every client is its own
    process (multiprocessing, fork) with its own ``Database``/``Juece`` and works on its own decisions, so
    there is no contention. Each call passes the version the client last saw (``expected_version``), so
    the version check is real. The cycle runs on cn-713 decisions in state ``consultation`` and alternates,
    by decision version, between ``record_participation`` (owner) and ``waive_task`` of the optional expert
    review (owner; hard-rule guard ``task_waivable``). Every call locks the row, checks role, input and
    guards, and writes the facts, the moved stall deadline and a hash-chained audit event.
(b) interleaved with (a) in every round: ``pgbench -N -c C -j min(C,2) -T duration`` against a database set
    up with ``pgbench -i -s 10``. A CHECKPOINT is issued before every measurement. The ratio is juece TPS
    divided by the TPS of the pgbench run of the same round and C; the report gives the median and the range
    over rounds.
(c) bytes stored per decision after a full life cycle (to ``closed``): pg_total_relation_size of every juece
    table except ``document`` (document content), divided by the number of decisions.

Afterwards every chain is verified with ``workflow.record.audit.verify_all``, and the number of stored events is
checked against the number of calls the clients counted as accepted.

This file is named like the ``transitions`` library the engine uses, so its own folder is taken off sys.path
before anything else is imported.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import multiprocessing as mp
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.helpers (the tests package is not installed)

import sqlalchemy  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from tests import helpers  # noqa: E402
from workflow.admin import offices as admin  # noqa: E402
from workflow.engine.catalog import Catalog, default_catalog  # noqa: E402
from workflow.persistence.db import Database, normalize_url  # noqa: E402
from workflow.record.audit import verify_all  # noqa: E402
from workflow.service import Clock, Juece, system_clock  # noqa: E402
from workflow.timing.calendar import SHANGHAI, WorkCalendar  # noqa: E402

SECRET = b"bench-secret"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
JUECE_DB = "bench_juece"
STORAGE_DB = "bench_juece_storage"
PGBENCH_DB = "bench_pgbench"
LIFE_CYCLE_START = "2026-03-02T09:00"  # every life cycle of (c) starts here (Shanghai), and stays in 2026
SETUP_EVENTS = 4  # create, initiate, upload_draft, start_consultation: a pool decision starts at version 4

#: The action cycle of (a), chosen by the decision's current version (so it alternates per decision).
CYCLE: tuple[tuple[str, dict[str, Any]], ...] = (
    ("record_participation", {"method": "symposium", "summary": "召开居民代表座谈会，听取意见"}),
    ("waive_task", {"task": "expert_review", "reason": "不涉及专业性、技术性问题"}),
)


# -- small utilities ------------------------------------------------------------------------------------
def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def db_url(base: str, name: str) -> str:
    return make_url(normalize_url(base)).set(database=name).render_as_string(hide_password=False)


def admin_engine(base: str) -> Engine:
    return create_engine(normalize_url(base), isolation_level="AUTOCOMMIT",
                         poolclass=sqlalchemy.pool.NullPool)


def recreate_database(base: str, name: str) -> None:
    engine = admin_engine(base)
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


def checkpoint(base: str) -> None:
    engine = admin_engine(base)
    with engine.connect() as conn:
        conn.exec_driver_sql("CHECKPOINT")
    engine.dispose()


TICK = os.sysconf("SC_CLK_TCK")


def cpu_busy_seconds() -> float:
    """Busy CPU time of the whole machine so far (all cores; user+nice+system+irq+softirq, not steal)."""
    f = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (f[0] + f[1] + f[2] + f[5] + f[6]) / TICK


def postgres_cpu_seconds() -> float:
    """CPU time used by the PostgreSQL server so far: every live ``postgres`` process, plus what the
    postmaster's exited children (backends of closed connections) used."""
    procs: dict[int, tuple[str, int, int, int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm, rest = raw[raw.index("(") + 1:raw.rindex(")")], raw[raw.rindex(")") + 2:].split()
        procs[int(entry.name)] = (comm, int(rest[1]), int(rest[11]) + int(rest[12]), int(rest[13]) + int(rest[14]))
    total = 0
    for comm, ppid, own, children in procs.values():
        if comm == "postgres":
            total += own
            if procs.get(ppid, ("",))[0] != "postgres":  # the postmaster: add its reaped children
                total += children
    return total / TICK


def cpu_sample() -> dict[str, float]:
    return {"busy": cpu_busy_seconds(), "postgres": postgres_cpu_seconds(), "self": self_cpu_seconds(),
            "children": self_cpu_seconds(resource.RUSAGE_CHILDREN), "wall": time.monotonic()}


def cpu_account(a: dict[str, float], b: dict[str, float], n: int, ours: float) -> dict[str, float]:
    """Per-transaction CPU between two samples; ``ours`` is the benchmark clients' CPU in the window.
    'other' is CPU used on the machine by neither PostgreSQL nor this benchmark (other tenants)."""
    busy, server = b["busy"] - a["busy"], b["postgres"] - a["postgres"]
    other = max(0.0, busy - server - ours - (b["self"] - a["self"]))
    cpus = os.cpu_count() or 1
    return {"machine_cpu_us_per_tx": 1e6 * busy / n, "server_cpu_us_per_tx": 1e6 * server / n,
            "other_cpu_share": other / ((b["wall"] - a["wall"]) * cpus)}


def self_cpu_seconds(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def new_core(url: str, clock: Clock, catalog: Catalog, pool_size: int = 1) -> Juece:
    return Juece(Database(url, pool_size=pool_size), catalog, SECRET, clock)


def setup_core(url: str, clock: Clock, catalog: Catalog) -> Juece:
    """Migrate a fresh database and add the test office's people (as tests/conftest.make_core does)."""
    core = new_core(url, clock, catalog, pool_size=2)
    core.db.upgrade()
    for name, roles, unit, org in helpers.PEOPLE:
        admin.add_user(core, name, roles, org, unit=unit)
    return core


def ensure_calendar(core: Juece, days_ahead: int = 60) -> list[int]:
    """The real-time clock of (a) needs working-day data for the next weeks (stall deadline: 20 working
    days). If the installed calendar package does not know a year that close, import a placeholder notice
    (weekdays are working days, 1 January a holiday) into the benchmark database only; returns those years."""
    today = dt.datetime.now(SHANGHAI).date()
    missing: list[int] = []
    for year in sorted({today.year, (today + dt.timedelta(days=days_ahead)).year}):
        if not WorkCalendar().has_year(year):
            missing.append(year)
    for year in missing:
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
            handle.write(f"year: {year}\nsource: bench placeholder (weekdays only)\n"
                         f"holidays: ['{year}-01-01']\n")
        admin.import_calendar(core, handle.name, by="bench")
        os.unlink(handle.name)
    return missing


# -- (a) juece clients ------------------------------------------------------------------------------
def make_decisions_part(url: str, catalog: Catalog, count: int, kind: str, queue: Any) -> None:
    """Child process: create ``count`` decisions, in state consultation (real clock) or driven to closed
    (test clock); report their ids."""
    try:
        ids = []
        if kind == "consultation":
            core = new_core(url, system_clock, catalog)
            for _ in range(count):
                did = helpers.new_decision(core)
                helpers.to_consultation(core, did)
                ids.append(did)
        else:
            clock = helpers.Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=helpers.CST))
            core = new_core(url, clock, catalog)
            ids = [full_life_cycle(core, clock, LIFE_CYCLE_START) for _ in range(count)]
        core.db.dispose()
        queue.put({"ids": ids})
    except BaseException:  # noqa: BLE001 - reported to the parent
        queue.put({"error": traceback.format_exc()})


def make_decisions(url: str, catalog: Catalog, size: int, kind: str = "consultation",
                   workers: int = 2, first_alone: bool = True) -> list[int]:
    """``size`` new decisions, made by ``workers`` processes in parallel. The first is made alone: the engine
    stores a document with check-then-insert, so two first uploads of the same text at the same moment
    collide on the primary key of ``document`` (seen here; reported, not worked around in the engine)."""
    if first_alone and size > 1 and workers > 1:
        return (make_decisions(url, catalog, 1, kind, 1)
                + make_decisions(url, catalog, size - 1, kind, workers, first_alone=False))
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    parts = [size // workers + (1 if i < size % workers else 0) for i in range(workers)]
    procs = [ctx.Process(target=make_decisions_part, args=(url, catalog, n, kind, queue)) for n in parts if n]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [r["error"] for r in results if "error" in r]
    if errors:
        raise RuntimeError(f"making {kind} decisions failed:\n" + errors[0])
    return sorted(i for r in results for i in r["ids"])


def client_main(index: int, url: str, catalog: Catalog, versions: dict[int, int], duration: float,
                warmup: float, ready: Any, go: Any, queue: Any) -> None:
    """One client process: its own engine and core, its own decisions, expected_version on every call."""
    result: dict[str, Any] = {"client": index, "errors": 0, "error": None}
    try:
        core = new_core(url, system_clock, catalog)
        ids = sorted(versions)
        n_ids = len(ids)
        i = 0

        def step() -> None:
            nonlocal i
            did = ids[i % n_ids]
            action, data = CYCLE[versions[did] % len(CYCLE)]
            versions[did] = core.act(did, action, "owner", data, expected_version=versions[did]).version
            i += 1

        warm_end = time.monotonic() + warmup
        while time.monotonic() < warm_end:
            step()
        result["warmup"] = i
        ready.wait(timeout=300)
        go.wait(timeout=300)
        cpu0, t0 = self_cpu_seconds(), time.monotonic()
        end = t0 + duration
        latencies: list[float] = []
        count = 0
        while True:
            if time.monotonic() >= end:
                break
            start = time.perf_counter()
            step()
            latencies.append(time.perf_counter() - start)
            count += 1
        t_last = time.monotonic()
        result.update(count=count, t0=t0, t_last=t_last, cpu=self_cpu_seconds() - cpu0, latencies=latencies,
                      versions=versions)
        core.db.dispose()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which marks the run failed
        result["errors"] += 1
        result["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"
        result["versions"] = versions
        for barrier in (ready, go):
            barrier.abort()
    queue.put(result)


def pool_counts(url: str, ids: list[int]) -> dict[str, int]:
    engine = create_engine(url, poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT coalesce(sum(version), 0) AS v FROM decision WHERE id = ANY(:ids)"),
                           {"ids": ids}).one()
        events = conn.execute(text("SELECT count(*) FROM audit_event WHERE stream = ANY(:s)"),
                              {"s": [f"decision:{i}" for i in ids]}).scalar_one()
    engine.dispose()
    return {"version_sum": int(row.v), "events": int(events)}


def run_juece(base: str, url: str, catalog: Catalog, clients: int, ids: list[int], versions: dict[int, int],
              duration: float, warmup: float) -> dict[str, Any]:
    """One measurement: ``clients`` processes for ``duration`` seconds; updates ``versions`` in place."""
    before = pool_counts(url, ids)
    ctx = mp.get_context("fork")
    ready, go, queue = ctx.Barrier(clients + 1), ctx.Barrier(clients + 1), ctx.Queue()
    procs = []
    for k in range(clients):
        mine = {d: versions[d] for d in ids[k::clients]}
        procs.append(ctx.Process(target=client_main,
                                 args=(k, url, catalog, mine, duration, warmup, ready, go, queue)))
    for p in procs:
        p.start()
    sample0 = None
    try:
        ready.wait(timeout=300)
        checkpoint(base)
        sample0 = cpu_sample()
        go.wait(timeout=300)
    except threading.BrokenBarrierError:
        pass
    results = [queue.get(timeout=duration + 600) for _ in procs]
    sample1 = cpu_sample()
    for p in procs:
        p.join()
    for r in results:
        versions.update(r.get("versions") or {})
    errors = [r["error"] for r in results if r.get("error")]
    after = pool_counts(url, ids)
    if errors or sample0 is None:
        return {"ok": False, "error": errors[0] if errors else "barrier broken"}
    total = sum(r["count"] for r in results)
    warm = sum(r["warmup"] for r in results)
    elapsed = max(r["t_last"] for r in results) - min(r["t0"] for r in results)
    latencies = sorted(x for r in results for x in r["latencies"])
    appended = after["events"] - before["events"]
    version_delta = after["version_sum"] - before["version_sum"]
    return {
        "ok": appended == total + warm == version_delta,
        "clients": clients,
        "tps": total / elapsed,
        "transitions": total,
        "warmup_transitions": warm,
        "elapsed_s": elapsed,
        "per_client_tps": [r["count"] / (r["t_last"] - r["t0"])
                           for r in sorted(results, key=lambda r: r["client"])],
        "latency_ms": {"avg": 1000 * statistics.fmean(latencies), "p50": 1000 * percentile(latencies, 0.5),
                       "p99": 1000 * percentile(latencies, 0.99)},
        "client_cpu_us_per_tx": 1e6 * sum(r["cpu"] for r in results) / total,
        **cpu_account(sample0, sample1, total, sum(r["cpu"] for r in results)),
        "events_appended": appended,
        "version_delta": version_delta,
        "rejected": 0,
    }


# -- (b) pgbench ----------------------------------------------------------------------------------------
def pg_env_args(base: str, name: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(normalize_url(base))
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
            "-U", parsed.username or "postgres"]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    return args + [name], env


def init_pgbench(base: str, scale: int) -> float:
    recreate_database(base, PGBENCH_DB)
    args, env = pg_env_args(base, PGBENCH_DB)
    start = time.monotonic()
    subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), *args], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.monotonic() - start


def run_pgbench(base: str, clients: int, duration: float) -> dict[str, Any]:
    args, env = pg_env_args(base, PGBENCH_DB)
    checkpoint(base)
    cmd = ["pgbench", "-N", "-c", str(clients), "-j", str(min(clients, 2)), "-T", str(int(duration)), *args]
    sample0 = cpu_sample()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    sample1 = cpu_sample()
    pgbench_cpu = sample1["children"] - sample0["children"]
    out = proc.stdout + proc.stderr
    tps = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    lat = re.search(r"latency average = ([0-9.]+) ms", out)
    if proc.returncode != 0 or tps is None or done is None:
        return {"ok": False, "error": out[-2000:], "command": " ".join(cmd)}
    n = int(done.group(1))
    return {
        "ok": failed is None or int(failed.group(1)) == 0,
        "clients": clients,
        "tps": float(tps.group(1)),
        "transactions": n,
        "failed": int(failed.group(1)) if failed else 0,
        "latency_avg_ms": float(lat.group(1)) if lat else None,
        "pgbench_cpu_us_per_tx": 1e6 * pgbench_cpu / n,
        **cpu_account(sample0, sample1, n, pgbench_cpu),
        "command": " ".join(["pgbench", "-N", "-c", str(clients), "-j", str(min(clients, 2)),
                             "-T", str(int(duration)), PGBENCH_DB]),
    }


# -- (c) storage ----------------------------------------------------------------------------------------
def full_life_cycle(core: Juece, clock: helpers.Clock, start: str) -> int:
    """proposed → … → implementation → progress report → closed, with the test helpers; returns the id."""
    clock.set(start)
    did = helpers.new_decision(core)
    helpers.to_implementation(core, clock, did)
    core.act(did, "report_progress", "executor", {"report": "第一季度执行情况报告", "public": True})
    result = core.act(did, "close", "owner", {"note": "执行完毕，归档"})
    assert result.state == "closed", result
    return did


def table_sizes(conn: sqlalchemy.Connection) -> dict[str, dict[str, int]]:
    rows = conn.execute(text(
        "SELECT c.relname AS name, pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap, "
        "pg_table_size(c.oid) AS table_size, pg_indexes_size(c.oid) AS indexes, c.reltuples AS est "
        "FROM pg_class c WHERE c.relkind = 'r' AND c.relnamespace = 'public'::regnamespace "
        "ORDER BY c.relname"))
    out = {}
    for r in rows:
        count = conn.execute(text(f'SELECT count(*) FROM "{r.name}"')).scalar_one()
        out[r.name] = {"total": int(r.total), "heap": int(r.heap), "toast_fsm_vm": int(r.table_size - r.heap),
                       "indexes": int(r.indexes), "rows": int(count)}
    return out


def run_storage(base: str, catalog: Catalog, n: int) -> dict[str, Any]:
    url = db_url(base, STORAGE_DB)
    recreate_database(base, STORAGE_DB)
    clock = helpers.Clock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=helpers.CST))
    core = setup_core(url, clock, catalog)
    core.db.dispose()
    start = time.monotonic()
    half = n // 2
    ids = make_decisions(url, catalog, half, "closed")
    with core.db.read() as conn:
        sizes_half = table_sizes(conn)
    core.db.dispose()
    ids += make_decisions(url, catalog, n - half, "closed")
    drive_s = time.monotonic() - start
    with core.db.read() as conn:
        report = verify_all(conn, catalog)
        events = conn.execute(text(
            "SELECT count(*) FROM audit_event WHERE stream LIKE 'decision:%'")).scalar_one()
        versions = conn.execute(text("SELECT sum(version), count(*) FILTER (WHERE state = 'closed') "
                                     "FROM decision")).one()
        sizes_loaded = table_sizes(conn)
        row_bytes = conn.execute(text(
            "SELECT avg(pg_column_size(e.*)), avg(pg_column_size(e.event)) FROM audit_event e")).one()
        facts_bytes = conn.execute(text("SELECT avg(pg_column_size(facts)) FROM decision")).scalar_one()
    core.db.dispose()
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM (ANALYZE)")
        sizes_vacuum = table_sizes(conn)
        conn.exec_driver_sql("VACUUM (FULL, ANALYZE)")
        sizes_full = table_sizes(conn)
    engine.dispose()
    excluded = {"document", "alembic_version"}
    per_decision_tables = {"decision", "audit_event", "deadline", "document_version"}

    def stage(sizes: dict[str, dict[str, int]]) -> dict[str, Any]:
        kept = {k: v for k, v in sizes.items() if k not in excluded}
        total = sum(v["total"] for v in kept.values())
        scaling = sum(v["total"] for k, v in kept.items() if k in per_decision_tables)
        return {
            "bytes_per_decision": total / n,
            "bytes_per_decision_scaling_tables_only": scaling / n,
            "total_bytes": total,
            "per_table": {k: v | {"per_decision": v["total"] / n} for k, v in kept.items()},
            "excluded": {k: v for k, v in sizes.items() if k in excluded},
        }

    marginal = {k: (v["total"] - sizes_half[k]["total"]) / (n - half) for k, v in sizes_loaded.items()
                if k not in excluded and k in sizes_half}
    return {
        "decisions": n,
        "drive_seconds": drive_s,
        "marginal_bytes_per_decision": {"total": sum(marginal.values()), "per_table": marginal,
                                        "note": f"(size after {n} - size after {half}) / {n - half}, as loaded"},
        "transitions_per_decision": (int(versions[0]) / n) if versions[0] else 0,
        "closed": int(versions[1]),
        "decision_events": int(events),
        "verify": report.as_dict() | {"problems": [str(p) for p in report.problems[:10]]},
        "event_count_matches_versions": int(events) == int(versions[0]),
        "avg_audit_row_bytes": float(row_bytes[0]),
        "avg_event_jsonb_bytes": float(row_bytes[1]),
        "avg_facts_jsonb_bytes": float(facts_bytes),
        "audit_bytes_per_event": (sizes_vacuum["audit_event"]["total"]
                                  / max(1, sizes_vacuum["audit_event"]["rows"])),
        "stages": {"as_loaded": stage(sizes_loaded), "after_vacuum": stage(sizes_vacuum),
                   "after_vacuum_full": stage(sizes_full)},
        "ids": [ids[0], ids[-1]],
    }


# -- profile (optional) -----------------------------------------------------------------------------
def client_loop(url: str, catalog: Catalog, ids: list[int], seconds: float,
                profiler: cProfile.Profile | None = None) -> dict[str, Any]:
    """One client in this process: 200 warm-up calls, then the cycle for ``seconds``."""
    core = new_core(url, system_clock, catalog)
    versions = {d: SETUP_EVENTS for d in ids}

    def step(i: int) -> None:
        did = ids[i % len(ids)]
        action, data = CYCLE[versions[did] % len(CYCLE)]
        versions[did] = core.act(did, action, "owner", data, expected_version=versions[did]).version

    for i in range(200):
        step(i)
    count, end = 0, time.monotonic() + seconds
    usage0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.monotonic()
    if profiler:
        profiler.enable()
    while time.monotonic() < end:
        step(count)
        count += 1
    if profiler:
        profiler.disable()
    usage1, elapsed = resource.getrusage(resource.RUSAGE_SELF), time.monotonic() - t0
    core.db.dispose()
    return {"transitions": count, "seconds": elapsed, "tps": count / elapsed,
            "user_us_per_tx": 1e6 * (usage1.ru_utime - usage0.ru_utime) / count,
            "sys_us_per_tx": 1e6 * (usage1.ru_stime - usage0.ru_stime) / count}


def summarize_pyspy(raw: str) -> str:
    """Collapsed py-spy stacks → shares of the samples inside ``Juece.act``: time in send/poll/recv (blocked or
    waiting for a CPU inside the syscall) and, of the remaining on-CPU samples, inclusive per Python function."""
    total = on_cpu = 0
    syscalls: dict[str, int] = {}
    inclusive: dict[str, int] = {}

    def norm(frame: str) -> str:
        frame = re.sub(r" \(.*/(site-packages|main|python3\.\d+)/", " (", frame)
        return re.sub(r":\d+\)$", ")", frame)

    for line in raw.splitlines():
        stack, _, n_text = line.rpartition(" ")
        frames = stack.split(";")
        idx = [i for i, f in enumerate(frames) if f.startswith("Juece.act ")]
        if not idx or not n_text.isdigit():
            continue
        n, frames = int(n_text), frames[idx[-1]:]
        total += n
        leaf = frames[-1].split(" ")[0]
        if leaf in ("send", "poll", "recv", "sendto", "recvfrom", "__poll"):
            syscalls[leaf] = syscalls.get(leaf, 0) + n
            continue
        on_cpu += n
        for name in {norm(f) for f in frames if ".py)" in norm(f)}:
            inclusive[name] = inclusive.get(name, 0) + n
    lines = [f"samples inside Juece.act: {total}; in a socket syscall (blocked, or runnable but descheduled): "
             + ", ".join(f"{k} {100 * v / max(1, total):.1f} %" for k, v in sorted(syscalls.items())),
             f"on-CPU samples: {on_cpu} ({100 * on_cpu / max(1, total):.1f} %); below, inclusive share of these:", ""]
    for name, n in sorted(inclusive.items(), key=lambda kv: -kv[1])[:70]:
        lines.append(f"{100 * n / max(1, on_cpu):5.1f} %  {name}")
    return "\n".join(lines) + "\n"


def run_profile(base: str, catalog: Catalog, seconds: float, out: Path) -> dict[str, Any]:
    """Profile one client on a fresh pool of 64 decisions: with py-spy (native stacks, sampling) when it is
    installed next to this Python, else with cProfile in this process. Writes a text summary to ``out``."""
    url = db_url(base, JUECE_DB)
    ids = make_decisions(url, catalog, 64)
    pyspy = Path(sys.executable).with_name("py-spy")
    if pyspy.exists():
        raw = Path(tempfile.mkdtemp(prefix="juece-bench-")) / "client.collapsed.txt"  # ~1 MB, not kept
        cmd = [str(pyspy), "record", "--native", "--rate", "200", "--format", "raw", "-o", str(raw), "--",
               sys.executable, str(Path(__file__).resolve()), "--url", base, "--client-loop", str(seconds),
               "--client-ids", ",".join(map(str, ids))]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        found = [line for line in proc.stdout.splitlines() if line.startswith("{")]  # py-spy prints too
        result = json.loads(found[-1]) if proc.returncode == 0 and found else {"error": proc.stderr[-2000:]}
        header = (f"# one juece client under py-spy (--native, 200 Hz), {seconds:.0f} s\n# command: "
                  f"{' '.join(cmd[:7])} <tmp> -- python bench/transitions.py --client-loop {seconds:g}\n# run (slowed by sampling): {json.dumps(result)}\n\n")
        out.write_text(header + (summarize_pyspy(raw.read_text()) if raw.exists() else proc.stderr))
        if raw.exists():
            raw.unlink()
        raw.parent.rmdir()
        return {"tool": "py-spy", "file": str(out), **result}
    profiler = cProfile.Profile()
    result = client_loop(url, catalog, ids, seconds, profiler)
    buffer = io.StringIO()
    buffer.write(f"# one juece client under cProfile (deterministic; inflates many small calls): "
                 f"{json.dumps(result)}\n\n")
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(35)
    out.write_text(buffer.getvalue())
    return {"tool": "cProfile", "file": str(out), **result}


def source_digest() -> str:
    """A digest of the engine's source (workflow/), to tell whether the code changed during a run."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "workflow").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml"):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


# -- machine --------------------------------------------------------------------------------------------
def machine_info(base: str) -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    engine = admin_engine(base)
    with engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT version()").scalar_one()
        settings: dict[str, str] = dict(conn.exec_driver_sql(
            "SELECT name, setting || coalesce(unit, '') FROM pg_settings WHERE name IN ('shared_buffers', "
            "'synchronous_commit', 'fsync', 'full_page_writes', 'wal_sync_method', 'max_wal_size', "
            "'checkpoint_timeout', 'commit_delay', 'max_connections', 'jit')").all())
    engine.dispose()
    pgbench = subprocess.run(["pgbench", "--version"], capture_output=True, text=True).stdout.strip()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    import psycopg

    return {
        "nproc": nproc, "cpu_model": model.group(1).strip() if model else "?",
        "mem_gib": round(int(mem.group(1)) / 1048576, 1) if mem else None,
        "kernel": platform.release(), "postgresql": version, "pgbench": pgbench, "pg_settings": settings,
        "python": sys.version.split()[0], "python_executable": sys.executable,
        "sqlalchemy": sqlalchemy.__version__, "psycopg": psycopg.__version__,
        "psycopg_impl": psycopg.pq.__impl__, "git_head": head, "git_tracked_changes": bool(dirty),
        "loadavg_at_start": os.getloadavg(),
    }


# -- report ---------------------------------------------------------------------------------------------
def aggregate(rounds: list[dict[str, Any]], clients: list[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in clients:
        runs = [r["runs"][str(c)] for r in rounds if str(c) in r["runs"]]
        good = [x for x in runs if x["juece"].get("ok") and x["pgbench"].get("ok")]
        if not good:
            out[str(c)] = {"ok": False}
            continue
        out[str(c)] = {
            "ok": len(good) == len(runs),
            "rounds": len(good),
            "juece_tps": summary([x["juece"]["tps"] for x in good]),
            "pgbench_tps": summary([x["pgbench"]["tps"] for x in good]),
            "ratio": summary([x["ratio"] for x in good]),
            "juece_latency_avg_ms": summary([x["juece"]["latency_ms"]["avg"] for x in good]),
            "juece_latency_p99_ms": summary([x["juece"]["latency_ms"]["p99"] for x in good]),
            "pgbench_latency_avg_ms": summary([x["pgbench"]["latency_avg_ms"] for x in good]),
            "juece_client_cpu_us_per_tx": summary([x["juece"]["client_cpu_us_per_tx"] for x in good]),
            "juece_server_cpu_us_per_tx": summary([x["juece"]["server_cpu_us_per_tx"] for x in good]),
            "juece_machine_cpu_us_per_tx": summary([x["juece"]["machine_cpu_us_per_tx"] for x in good]),
            "pgbench_server_cpu_us_per_tx": summary([x["pgbench"]["server_cpu_us_per_tx"] for x in good]),
            "pgbench_machine_cpu_us_per_tx": summary([x["pgbench"]["machine_cpu_us_per_tx"] for x in good]),
            "juece_other_cpu_share": summary([x["juece"]["other_cpu_share"] for x in good]),
            "pgbench_other_cpu_share": summary([x["pgbench"]["other_cpu_share"] for x in good]),
        }
    return out


def fmt(s: dict[str, float], digits: int = 0) -> str:
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def markdown(res: dict[str, Any]) -> str:
    m, cfg = res["machine"], res["config"]
    lines = [
        "# juece transitions benchmark", "",
        f"Run {res['started']} – {res['finished']} ({res['wall_seconds']:.0f} s), "
        f"command: `{res['command']}`", "",
        f"Machine: {m['nproc']} CPUs ({m['cpu_model']}), {m['mem_gib']} GiB, kernel {m['kernel']}; "
        f"{m['postgresql'].split(' on ')[0]}; Python {m['python']}, SQLAlchemy {m['sqlalchemy']}, "
        f"psycopg {m['psycopg']} ({m['psycopg_impl']}); git {m['git_head']}"
        f"{' (with uncommitted changes)' if m['git_tracked_changes'] else ''}, engine source digest "
        f"{res['engine_source_digest_start']}"
        f"{' — CHANGED DURING THE RUN' if res.get('engine_source_changed_during_run') else ''}.",
        "PostgreSQL settings: " + ", ".join(f"{k}={v}" for k, v in sorted(m["pg_settings"].items())) + ".",
        "",
        "Workload (a): `Juece.act` on cn-713 decisions in `consultation`, alternating "
        f"`record_participation` and `waive_task` (owner, expected_version passed), {cfg['pool']} fresh "
        f"decisions per round split across the clients, one process per client, {cfg['warmup']} s warm-up, "
        f"{cfg['duration']} s measured. "
        f"(b): `pgbench -N -c C -j min(C,2) -T {cfg['duration']:.0f}` on `pgbench -i -s {cfg['scale']}`. "
        f"CHECKPOINT before every measurement; {cfg['rounds']} interleaved rounds (order alternates); "
        "ratio = juece TPS / pgbench TPS of the same round. Median (min–max).", "",
    ]
    if res["rounds"]:
        lines += throughput_markdown(res)
    s = res.get("storage")
    if s:
        lines += storage_markdown(s)
    if res.get("profile"):
        pr = res["profile"]
        lines += ["", f"Profile of one client ({pr['tool']}): `{Path(pr['file']).name}`; while profiled "
                  f"{pr.get('tps', 0):.0f} tps, client CPU user {pr.get('user_us_per_tx', 0):.0f} + sys "
                  f"{pr.get('sys_us_per_tx', 0):.0f} µs per transition."]
    return "\n".join(lines) + "\n"


def throughput_markdown(res: dict[str, Any]) -> list[str]:
    lines = [
        "## Throughput", "",
        "| C | juece TPS | pgbench -N TPS | ratio | juece lat avg / p99 ms | juece CPU µs/tx: client + server "
        "| pgbench -N server CPU µs/tx | other tenants' CPU share, juece / pgbench runs |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c, a in res["summary"].items():
        if not a.get("rounds"):
            lines.append(f"| {c} | failed | | | | | | |")
            continue
        lines.append(
            f"| {c} | {fmt(a['juece_tps'])} | {fmt(a['pgbench_tps'])} | **{fmt(a['ratio'], 2)}** | "
            f"{a['juece_latency_avg_ms']['median']:.1f} / {a['juece_latency_p99_ms']['median']:.1f} | "
            f"{a['juece_client_cpu_us_per_tx']['median']:.0f} + {a['juece_server_cpu_us_per_tx']['median']:.0f} | "
            f"{a['pgbench_server_cpu_us_per_tx']['median']:.0f} | "
            f"{100 * a['juece_other_cpu_share']['median']:.0f} % / "
            f"{100 * a['pgbench_other_cpu_share']['median']:.0f} % |")
    lines += ["", "CPU per transaction is measured from /proc: client = the juece client processes, server = all "
              "`postgres` processes; 'other tenants' = busy CPU of the machine used by neither (a share of all "
              "cores during the run; this machine is shared)."]
    lines += ["", "Per round:", "", "| round | C | order | juece TPS | pgbench TPS | ratio | events check |",
              "|---|---|---|---|---|---|---|"]
    for r in res["rounds"]:
        for c, x in r["runs"].items():
            j, p = x["juece"], x["pgbench"]
            counted = j.get("transitions", 0) + j.get("warmup_transitions", 0)
            check = f"{j.get('events_appended')} = {counted} ({'ok' if j.get('ok') else 'MISMATCH/FAILED'})"
            nan = float("nan")
            lines.append(f"| {r['round']} | {c} | {' → '.join(x['order'])} | {j.get('tps', nan):.0f} "
                         f"| {p.get('tps', nan):.0f} | {x.get('ratio', nan):.2f} | {check} |")
    v = res["verification"]
    lines += ["", f"Verification (verify_all over every round's pool): {v['decisions']} decisions, "
              f"{v['events']} events re-hashed and replayed, problems: {v['problems']}; "
              f"events = accepted calls in every run: {v['event_counts_match']}.", ""]
    return lines


def storage_markdown(s: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if s:
        st = s["stages"]
        lines += [
            "## Storage per decision (c)", "",
            f"{s['decisions']} decisions driven to `closed` with tests.helpers (to_implementation, "
            f"report_progress, close): {s['transitions_per_decision']:.1f} events each; verify_all: "
            f"{'ok' if s['verify']['ok'] else 'PROBLEMS'} ({s['verify']['events']} events). "
            f"Average audit row {s['avg_audit_row_bytes']:.0f} B "
            f"(event jsonb {s['avg_event_jsonb_bytes']:.0f} B), "
            f"facts jsonb {s['avg_facts_jsonb_bytes']:.0f} B; "
            f"audit_event {s['audit_bytes_per_event']:.0f} B/event with indexes (after VACUUM).", "",
            "As loaded and after VACUUM, the tables still hold dead row versions (every action rewrites the "
            "decision row with its facts); how many depends on when PostgreSQL pruned them. After VACUUM FULL "
            "only live rows remain.", "",
            "| | as loaded | after VACUUM | after VACUUM FULL (live rows only) |", "|---|---|---|---|",
            "| **bytes per decision, all juece tables except document** | "
            + " | ".join(f"**{st[k]['bytes_per_decision']:.0f}**" for k in ("as_loaded", "after_vacuum",
                                                                            "after_vacuum_full")) + " |",
            "| of which decision/audit_event/deadline/document_version | "
            + " | ".join(f"{st[k]['bytes_per_decision_scaling_tables_only']:.0f}" for k in (
                "as_loaded", "after_vacuum", "after_vacuum_full")) + " |",
        ]
        for name in st["after_vacuum"]["per_table"]:
            cells = []
            for k in ("as_loaded", "after_vacuum", "after_vacuum_full"):
                t = st[k]["per_table"][name]
                cells.append(f"{t['per_decision']:.0f} ({t['rows']} rows; heap {t['heap']}, "
                             f"idx {t['indexes']}, toast/fsm/vm {t['toast_fsm_vm']})")
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
        mg = s["marginal_bytes_per_decision"]
        lines += ["", f"Marginal growth {mg['note']}: **{mg['total']:.0f} B per decision** ("
                  + ", ".join(f"{k} {v:.0f}" for k, v in mg["per_table"].items() if v) + "). The difference to "
                  "the totals above is fixed overhead (the first pages of every table and index, the people and "
                  "keys of the test office)."]
        doc = st["after_vacuum"]["excluded"].get("document")
        if doc:
            lines += ["", f"Excluded: `document` ({doc['rows']} rows, {doc['total']} B; identical texts are "
                      "stored once) and `alembic_version`."]
    return lines


# -- main -----------------------------------------------------------------------------------------------
@contextmanager
def timed(label: str) -> Iterator[None]:
    start = time.monotonic()
    log(f"{label} …")
    yield
    log(f"{label}: {time.monotonic() - start:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "transitions.json")
    parser.add_argument("--url", default=os.environ.get("JUECE_BENCH_POSTGRES_URL", DEFAULT_URL),
                        help="an existing database on the server (for CREATE/DROP DATABASE and CHECKPOINT)")
    parser.add_argument("--clients", default="1,4,8", help="comma-separated client counts")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up per juece client")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pool", type=int, default=512, help="fresh decisions in consultation per round")
    parser.add_argument("--scale", type=int, default=10, help="pgbench -i scale")
    parser.add_argument("--lifecycle", type=int, default=200, help="decisions for the storage measurement")
    parser.add_argument("--skip-storage", action="store_true")
    parser.add_argument("--profile", type=float, default=0.0,
                        help="also profile one client for this many seconds (py-spy if installed in the "
                        "venv, else cProfile; summary next to --out)")
    parser.add_argument("--markdown-from", type=Path, default=None,
                        help="only rewrite the .md summary of an existing results .json, then exit")
    parser.add_argument("--client-loop", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--client-ids", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.markdown_from:
        args.markdown_from.with_suffix(".md").write_text(markdown(json.loads(args.markdown_from.read_text())))
        return 0
    if args.client_loop:  # the profiled child of --profile: one client, result as JSON on stdout
        ids = [int(i) for i in args.client_ids.split(",")]
        print(json.dumps(client_loop(db_url(args.url, JUECE_DB), default_catalog(), ids, args.client_loop)))
        return 0
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    wall0, started = time.monotonic(), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    catalog = default_catalog()
    args.out.parent.mkdir(parents=True, exist_ok=True)

    res: dict[str, Any] = {
        "started": started,
        "command": " ".join([".venv/bin/python", "bench/transitions.py", *(argv if argv is not None
                                                                            else sys.argv[1:])]),
        "config": {"clients": clients, "duration": args.duration, "warmup": args.warmup,
                   "rounds": args.rounds, "pool": args.pool, "scale": args.scale, "lifecycle": args.lifecycle,
                   "cycle": [a for a, _ in CYCLE], "juece_db": JUECE_DB, "pgbench_db": PGBENCH_DB,
                   "storage_db": STORAGE_DB},
        "machine": machine_info(args.url),
        "engine_source_digest_start": source_digest(),
    }
    log(f"machine: {res['machine']['nproc']} CPUs, {res['machine']['postgresql'].split(' on ')[0]}")

    if args.rounds > 0:
        with timed(f"pgbench -i -s {args.scale} {PGBENCH_DB}"):
            res["pgbench_init_seconds"] = init_pgbench(args.url, args.scale)
    url = db_url(args.url, JUECE_DB)
    with timed(f"fresh {JUECE_DB}"):
        recreate_database(args.url, JUECE_DB)
        core = setup_core(url, system_clock, catalog)
        res["calendar_placeholder_years"] = ensure_calendar(core)
        core.db.dispose()

    rounds: list[dict[str, Any]] = []
    verification: dict[str, Any] = {"decisions": 0, "events": 0, "problems": 0, "first_problems": [],
                                    "event_counts_match": True}
    for rnd in range(1, args.rounds + 1):
        with timed(f"round {rnd}: {args.pool} decisions to consultation"):
            ids = make_decisions(url, catalog, args.pool)
        versions = {d: SETUP_EVENTS for d in ids}
        accepted = 0
        entry: dict[str, Any] = {"round": rnd, "pool": [ids[0], ids[-1]], "runs": {}}
        for ci, c in enumerate(clients):
            order = ["juece", "pgbench"] if (rnd + ci) % 2 == 1 else ["pgbench", "juece"]
            run: dict[str, Any] = {"order": order}
            for what in order:
                if what == "juece":
                    run["juece"] = run_juece(args.url, url, catalog, c, ids, versions, args.duration,
                                             args.warmup)
                    j = run["juece"]
                    if j.get("ok") is False and "error" in j:
                        log(f"juece C={c} FAILED: {j['error'][:2000]}")
                    else:
                        accepted += j["transitions"] + j["warmup_transitions"]
                        verification["event_counts_match"] &= bool(j["ok"])
                        log(f"round {rnd} C={c} juece {j['tps']:.0f} tps "
                            f"(lat {j['latency_ms']['avg']:.1f} ms, client CPU "
                            f"{j['client_cpu_us_per_tx']:.0f} us/tx, events ok={j['ok']})")
                else:
                    run["pgbench"] = run_pgbench(args.url, c, args.duration)
                    p = run["pgbench"]
                    log(f"round {rnd} C={c} pgbench -N {p.get('tps', float('nan')):.0f} tps"
                        + ("" if p.get("ok") else f" FAILED {p.get('error', '')[:500]}"))
            if run["juece"].get("tps") and run["pgbench"].get("tps"):
                run["ratio"] = run["juece"]["tps"] / run["pgbench"]["tps"]
                log(f"round {rnd} C={c} ratio {run['ratio']:.3f}")
            entry["runs"][str(c)] = run
        with timed(f"round {rnd}: verify_all over {len(ids)} decisions"):
            engine = create_engine(url, poolclass=sqlalchemy.pool.NullPool)
            with engine.connect() as conn:
                report = verify_all(conn, catalog, ids)
                total_version = conn.execute(text("SELECT sum(version) FROM decision WHERE id = ANY(:i)"),
                                             {"i": ids}).scalar_one()
            engine.dispose()
        entry["verify"] = report.as_dict() | {"problems": [str(p) for p in report.problems[:10]]}
        entry["accepted_calls"] = accepted
        entry["versions_match_accepted"] = int(total_version) - SETUP_EVENTS * len(ids) == accepted
        verification["decisions"] += report.decisions
        verification["events"] += report.events
        verification["problems"] += len(report.problems)
        verification["first_problems"] += [str(p) for p in report.problems[:5]]
        verification["event_counts_match"] &= entry["versions_match_accepted"]
        log(f"round {rnd}: verify ok={report.ok} ({report.events} events), accepted calls {accepted}, "
            f"version sum matches: {entry['versions_match_accepted']}")
        rounds.append(entry)
    res["rounds"] = rounds
    res["verification"] = verification
    res["summary"] = aggregate(rounds, clients)

    if not args.skip_storage:
        with timed(f"storage: {args.lifecycle} decisions through the full procedure"):
            res["storage"] = run_storage(args.url, catalog, args.lifecycle)
        log(f"storage: {res['storage']['stages']['after_vacuum']['bytes_per_decision']:.0f} bytes/decision "
            f"(after VACUUM), verify ok={res['storage']['verify']['ok']}")
    if args.profile > 0:
        with timed(f"profile one client for {args.profile:.0f} s"):
            res["profile"] = run_profile(args.url, catalog, args.profile,
                                         args.out.with_name(args.out.stem + "-profile.txt"))
        log(f"profile: {res['profile']}")

    res["engine_source_digest_end"] = source_digest()
    res["engine_source_changed_during_run"] = res["engine_source_digest_end"] != res["engine_source_digest_start"]
    res["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    res["wall_seconds"] = time.monotonic() - wall0
    args.out.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str) + "\n")
    md = args.out.with_suffix(".md")
    md.write_text(markdown(res))
    log(f"wrote {args.out} and {md} ({res['wall_seconds']:.0f} s)")
    for c, a in res["summary"].items():
        if a.get("rounds"):
            log(f"C={c}: juece {fmt(a['juece_tps'])} tps, pgbench {fmt(a['pgbench_tps'])} tps, "
                f"ratio {fmt(a['ratio'], 2)}")
    ok = verification["problems"] == 0 and verification["event_counts_match"] and (
        args.rounds == 0 or all(a.get("ok") for a in res["summary"].values()))
    if "storage" in res:
        ok = ok and res["storage"]["verify"]["ok"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
