"""Benchmark: the cost of a list page by archive size (the inbox, catalogue, notifications and API lists).

One command (see bench/README.md)::

    .venv/bin/python bench/lists.py --out bench/results/lists.md

For each database (SQLite file; PostgreSQL, databases ``bench_scale_<n>`` dropped and recreated) and each archive
size (default 1 000 and 10 000 decisions) it builds one office: 60 open decisions made through the service
(``Juece.create_decision`` and actions: put out for comment, each with its Art. 15 deadline), then the archive
bulk-inserted as copies of such a decision in the terminal state ``terminated`` (facts, owner and procedure as
the service wrote them; created over the five years before; one closed deadline and one notification to the
owner each). The open work is the same at every size: only the archive grows.

Then, through the Flask test client (web pages signed in, API with a token), the first page and a deep page
(the last full page: 51 rows before the end; the inbox's second and last page) of each list, requested in alternation between the sizes, ``--rounds``
times; per request the median wall time and the bytes. The result is the ratio of the larger archive's median
to the smaller's, measured in the same run (the goal: ~1.0, flat). The list queries each request ran are
captured as SQLAlchemy emits them and explained (PostgreSQL ``EXPLAIN ANALYZE``, SQLite ``EXPLAIN QUERY PLAN``)
on the largest archive.

This folder holds ``transitions.py``, named like a library the engine uses: the folder leaves sys.path first.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.* (the tests package is not installed)

from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from api.v1.route_helpers import encode_cursor  # noqa: E402
from tests.api.conftest import Api  # noqa: E402
from tests.api.conftest import make_app as make_api_app  # noqa: E402
from tests.conftest import make_core  # noqa: E402
from tests.helpers import Clock, local_iso, new_decision, to_consultation  # noqa: E402
from tests.web.conftest import People  # noqa: E402
from workflow.admin import offices as admin  # noqa: E402
from workflow.persistence.db import Database  # noqa: E402
from workflow.persistence.store import DL, D, N, U  # noqa: E402
from workflow.service import Juece  # noqa: E402
from workflow.timing.calendar import SHANGHAI  # noqa: E402
from workflow.views import paging  # noqa: E402

OPEN = 60
START = dt.datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)


def log(message: str) -> None:
    """Progress on stderr."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def build(url: str, size: int, instance: Path) -> tuple[Juece, Any]:
    """An office with ``OPEN`` open decisions and an archive of ``size`` decisions; its app."""
    clock = Clock(START)
    core = make_core(Database(url), clock)
    admin.add_user(core, "admin1", ["admin"], "古塘街道", unit="党政综合办")
    template = 0
    for _ in range(OPEN):
        did = new_decision(core)
        to_consultation(core, did)
        core.act(did, "open_public_comment", "owner", {
            "opens_at": local_iso(clock.now), "closes_at": local_iso(clock.now + dt.timedelta(days=35))})
        template = did
        clock.advance(minutes=7)
    with core.db.engine.begin() as conn:
        row = conn.execute(select(D).where(D.c.id == template)).one()._asdict()
        dl = conn.execute(select(DL).where(DL.c.decision_id == template, DL.c.kind == "due")).first()
        owner = conn.execute(select(U.c.id).where(U.c.name == "owner")).scalar_one()
        first = dt.datetime(2021, 1, 5, 1)  # five years of archive before the open work
        step = (START.astimezone(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=30) - first) / size
        top = int(conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM decision")).scalar_one())
        for chunk in range(0, size, 2000):
            rows, deadlines, notes = [], [], []
            for k in range(chunk, min(size, chunk + 2000)):
                at = first + step * k
                rows.append({**row, "id": top + 1 + k, "title": f"归档事项 {k}", "state": "terminated",
                             "created_at": at, "updated_at": at, "stall_due_at": None})
                if dl is not None:
                    deadlines.append({**dl._asdict(), "id": None, "decision_id": top + 1 + k, "status": "closed",
                                      "dedupe": f"bench-{k}", "due_at": at, "fire_at": at, "closed_at": at})
                notes.append({"org_id": row["org_id"], "decision_id": top + 1 + k, "user_id": owner,
                              "kind": "reminder", "subject": f"提醒 {k}", "body": "归档", "payload": {},
                              "dedupe": f"bench-note-{k}", "created_at": at})
            conn.execute(insert(D), rows)
            if deadlines:
                conn.execute(insert(DL), [{k: v for k, v in d.items() if k != "id"} for d in deadlines])
            conn.execute(insert(N), notes)
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(pg_get_serial_sequence('decision', 'id'), (SELECT MAX(id) FROM decision))"))
    if core.db.engine.dialect.name == "postgresql":
        with core.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with core.db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return core, make_api_app(core, instance)


def requests(core: Juece, app: Any) -> dict[str, tuple[str, str, str]]:
    """(kind, user, path) of each measured request: first and deep pages."""
    with core.db.read() as conn:
        org, owner = conn.execute(select(U.c.org_id, U.c.id).where(U.c.name == "owner")).one()
        ids = list(conn.execute(select(D.c.id, D.c.created_at).where(D.c.org_id == org)
                                .order_by(D.c.id.desc())).all())
        notes = list(conn.execute(select(N.c.id).where(N.c.user_id == owner).order_by(N.c.id.desc())).scalars())
    year = 2024
    in_year = [r for r in reversed(ids) if r.created_at.replace(tzinfo=dt.UTC).astimezone(SHANGHAI).year == year]
    # "Deep": the last full page (a cursor 51 rows before the end), whatever the size.
    deep = in_year[-52]
    deep_id, deep_note = ids[-52].id, notes[-52]
    return {
        "inbox (web), first page": ("web", "owner", "/"),
        "inbox (web), last page": ("web", "owner", f"/?after={_inbox_cursor(app)}"),  # 60 open, 50 a page
        "catalogue (web), first page": ("web", "owner", f"/catalogue?year={year}"),
        "catalogue (web), last full page": ("web", "owner",
                                       f"/catalogue?year={year}&after={paging.encode((deep.created_at, deep.id))}"),
        "public catalogue (web, citizen), first page": ("web", "citizen1", f"/catalogue?year={year}"),
        "decisions (API), first page": ("api", "owner", "decisions?limit=50"),
        "decisions (API), last full page": ("api", "owner", f"decisions?limit=50&after={encode_cursor(deep_id)}"),
        "decisions (API, citizen), last full page": ("api", "citizen1",
                                                f"decisions?limit=50&after={encode_cursor(deep_id)}"),
        "notifications (API), first page": ("api", "owner", "notifications?limit=50"),
        "notifications (API), last full page": ("api", "owner", f"notifications?limit=50&after={encode_cursor(deep_note)}"),
    }


def _inbox_cursor(app: Any) -> str:
    """The ``after`` cursor of the inbox's second page, read off the first page's 下一页 link."""
    client = app.bench_people.client("owner")
    page = client.get("/").get_data(as_text=True)
    marker = '<a rel="next" href="/?after='
    return page.split(marker)[1].split('"')[0] if marker in page else ""


class Runner:
    """Signed-in web clients and API tokens for one app."""

    def __init__(self, core: Juece, app: Any) -> None:
        self.core, self.app = core, app
        self.people = People(core, app)
        app.bench_people = self.people
        self.api = Api(core, app)
        self.clients: dict[str, Any] = {}

    def get(self, kind: str, user: str, path: str) -> bytes:
        """One request; the body (asserting 200)."""
        if kind == "api":
            response = self.api.get(path, user)
        else:
            if user not in self.clients:
                self.clients[user] = self.people.client(user)
            response = self.clients[user].get(path)
        assert response.status_code == 200, (path, response.status_code, response.get_data(as_text=True)[:300])
        return response.get_data()


def explain(core: Juece, runner: Runner, wanted: dict[str, tuple[str, str, str]]) -> list[str]:
    """The plans of the list queries (ORDER BY … LIMIT) each request ran, on this database."""
    engine = core.db.engine
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        if "ORDER BY" in statement and "LIMIT" in statement and statement.lstrip().startswith("SELECT"):
            seen.append((statement, parameters))

    out: list[str] = []
    for name, (kind, user, path) in wanted.items():
        seen.clear()
        event.listen(engine, "before_cursor_execute", capture)
        try:
            runner.get(kind, user, path)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        out.append(f"#### {name}\n")
        for statement, parameters in list(dict.fromkeys((s, repr(p)) for s, p in seen)):
            params = next(p for s, p in seen if s == statement and repr(p) == parameters)
            if not any(t in statement for t in ("FROM decision", "FROM notification", "FROM deadline",
                                                "FROM (SELECT decision")):
                continue
            with engine.connect() as conn:
                prefix = "EXPLAIN ANALYZE " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
                plan = conn.exec_driver_sql(prefix + statement, params).all()
            lines = [str(r[0]) if engine.dialect.name == "postgresql" else f"{'  ' * int(r[1] > 0)}{r[3]}"
                     for r in plan]
            out.append("```sql\n" + " ".join(statement.split())[:600] + "\n```\n```\n" + "\n".join(lines) + "\n```\n")
    return out


def measure(runners: dict[int, Runner], wanted: dict[int, dict[str, tuple[str, str, str]]],
            rounds: int) -> dict[str, dict[int, dict[str, float]]]:
    """Median seconds and bytes per request and size, the sizes alternating within each round."""
    names = list(next(iter(wanted.values())))
    times: dict[str, dict[int, list[float]]] = {n: {s: [] for s in runners} for n in names}
    sizes: dict[str, dict[int, int]] = {n: {} for n in names}
    for r in range(rounds + 1):
        for name in names:
            for size in (list(runners) if r % 2 else list(runners)[::-1]):
                kind, user, path = wanted[size][name]
                began = time.perf_counter()
                body = runners[size].get(kind, user, path)
                if r:  # round 0 warms every path up
                    times[name][size].append(time.perf_counter() - began)
                sizes[name][size] = len(body)
    return {n: {s: {"median_s": statistics.median(times[n][s]), "bytes": sizes[n][s]} for s in runners}
            for n in names}


def pg_url(base: str, name: str) -> str:
    """``base`` with database ``name``, recreated (only the bench's own databases)."""
    assert name.startswith("bench_scale_")
    url = make_url(base)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def run(dialect: str, sizes: list[int], rounds: int, base: str, tmp: Path) -> list[str]:
    """Build, measure and explain one dialect; its section of the report."""
    runners: dict[int, Runner] = {}
    wanted: dict[int, dict[str, tuple[str, str, str]]] = {}
    for size in sizes:
        log(f"{dialect}: building {size} archived decisions")
        url = pg_url(base, f"bench_scale_{size}") if dialect == "postgresql" else f"sqlite:///{tmp}/lists-{size}.db"
        instance = tmp / f"{dialect}-{size}"
        instance.mkdir()
        core, app = build(url, size, instance)
        runners[size] = Runner(core, app)
        wanted[size] = requests(core, app)
    log(f"{dialect}: measuring, {rounds} rounds")
    result = measure(runners, wanted, rounds)
    small, large = sizes[0], sizes[-1]
    head = " | ".join(f"{n} ms" for n in sizes) + " | " + " | ".join(f"ratio {n}/{small}" for n in sizes[1:])
    out = [f"### {dialect}\n", f"| request | {head} | " + " | ".join(f"bytes {n}" for n in sizes) + " |",
           "|---|" + "---:|" * (3 * len(sizes) - 1)]
    for name, by in result.items():
        cells = [f"{by[n]['median_s'] * 1000:.1f}" for n in sizes]
        cells += [f"**{by[n]['median_s'] / by[small]['median_s']:.2f}**" for n in sizes[1:]]
        cells += [str(by[n]["bytes"]) for n in sizes]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    out.append(f"\n#### Plans ({dialect}, {large} archived decisions)\n")
    out += explain(runners[large].core, runners[large], wanted[large])
    for r in runners.values():
        r.core.db.engine.dispose()
    return out


def main() -> None:
    """Run the benchmark and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--dialects", default="sqlite,postgresql")
    parser.add_argument("--url", default=os.environ.get("JUECE_BENCH_POSTGRES_URL",
                                                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--out", default=str(HERE / "results" / "lists.md"))
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    report = ["# Lists that scale: page cost by archive size\n",
              f"Command: `.venv/bin/python bench/lists.py --sizes {args.sizes} --rounds {args.rounds} "
              f"--dialects {args.dialects}`\n",
              f"Machine: {platform.node()}, {platform.platform()}, {os.cpu_count()} CPUs (shared with other jobs), "
              f"Python {platform.python_version()}; run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC.\n",
              f"Each office has {OPEN} open decisions (made through the service, put out for comment) and an archive "
              "of N terminated decisions (bulk copies; one closed deadline and one notification each). Median of "
              f"{args.rounds} requests through the Flask test client, sizes alternating; the ratio is what matters "
              "(~1.0: the page does not grow with the archive). Page size 50.\n"]
    with tempfile.TemporaryDirectory() as tmp:
        for dialect in args.dialects.split(","):
            report += run(dialect, sizes, args.rounds, args.url, Path(tmp))
    Path(args.out).write_text("\n".join(report) + "\n", encoding="utf-8")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
