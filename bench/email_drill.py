"""The SIGKILL drill: how many copies of an e-mail alert arrive when the worker dies mid-conversation.

One command (see bench/README.md, "email_drill")::

    .venv/bin/python bench/email_drill.py --rounds 10 --out bench/results/email-drill.json

A real ``celery worker`` and ``celery beat`` (tests/system.py ``Processes``, the real system clock), an
aiosmtpd server in this process, the embedded broker and a SQLite database (or PostgreSQL and a private
Redis: ``--postgres URL --redis``). For each scenario and round: one new alert (one e-mail delivery) is
written to the outbox; the SMTP server keeps the message and then stalls ``--stall`` seconds before
answering the end of DATA (scenario ``data``), or answers DATA at once and stalls its answer to QUIT
(scenario ``quit``); ``--kill-after`` seconds into the stall the worker gets SIGKILL; a new worker is
started. The round ends when the delivery is recorded ``sent`` and one more lease has passed. Counted:
copies received (matched by the delivery's key), whether they carry one Message-ID, the delivery's
``unconfirmed`` count; measured (wall clock, same machine): from the server keeping the copy that juece
recorded to juece's recorded ``sent_at``, and from the server's 250 to ``sent_at``.

``--code DIR`` runs the worker from another source tree (e.g. ``git archive`` of an older commit), with
the schema this tree migrates to: the before/after comparison.

This folder holds ``transitions.py``, named like the ``transitions`` library the engine uses, so the folder is
taken off sys.path before anything else is imported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.* (the tests package is not installed)

from sqlalchemy import create_engine, select, text  # noqa: E402

from tests.conftest import make_core  # noqa: E402
from tests.helpers import new_decision  # noqa: E402
from tests.system import PrivateRedis, Processes, SmtpServer, wait_for  # noqa: E402
from workflow.notices import alerts  # noqa: E402
from workflow.persistence.db import Database  # noqa: E402
from workflow.persistence.store import DY, ORG  # noqa: E402
from workflow.service import Juece, system_clock  # noqa: E402

REVIEWER = "reviewer@gutang.test"


class DrillProcesses(Processes):
    """``Processes`` on the real clock, optionally running the worker from another source tree."""

    def __init__(self, tmp: Path, database_url: str, broker_url: str, smtp_port: int, lease: float,
                 code: Path) -> None:
        super().__init__(tmp, database_url, broker_url, smtp_port, _WallClock())  # type: ignore[arg-type]
        self.code = code
        self.env.pop("JUECE_CLOCK_FILE")  # sent_at on the wall clock, comparable with the server's stamps
        self.env |= {"JUECE_DELIVERY_LEASE_SECONDS": f"{lease:g}", "JUECE_DELIVERY_BACKOFF_SECONDS": "1",
                     "JUECE_DELIVERY_MAX_ATTEMPTS": "5", "PYTHONPATH": str(code)}

    def sync_clock(self) -> None:
        pass

    def _spawn(self, command: list[str], log: str) -> subprocess.Popen[bytes]:
        out = open(self.tmp / log, "ab")  # noqa: SIM115 - closed with the process
        child = subprocess.Popen(command, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=self.code)
        out.close()
        self.children.append(child)
        return child


class _WallClock:
    @property
    def now(self) -> dt.datetime:
        return system_clock()


def _stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"n": len(values), "median": statistics.median(values), "min": min(values), "max": max(values)}


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True).stdout.strip()


def machine_info() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    import aiosmtpd
    import celery
    import kombu
    import sqlalchemy

    return {"nproc": os.cpu_count(), "cpu_model": model.group(1).strip() if model else "?",
            "mem_gib": round(int(mem.group(1)) / 1048576, 1) if mem else None, "kernel": platform.release(),
            "python": sys.version.split()[0], "sqlalchemy": sqlalchemy.__version__, "celery": celery.__version__,
            "kombu": kombu.__version__, "aiosmtpd": aiosmtpd.__version__, "git_head": _git("rev-parse", "--short", "HEAD"),
            "git_tracked_changes": bool(_git("status", "--porcelain", "--untracked-files=no"))}


def _setup(database: Database) -> tuple[Juece, int, int]:
    core = make_core(database, system_clock)  # type: ignore[arg-type]
    with core.db.write() as conn:
        conn.execute(text("UPDATE app_user SET email = :e WHERE name = 'reviewer'"), {"e": REVIEWER})
        org = conn.execute(select(ORG.c.id).where(ORG.c.name == "古塘街道")).scalar_one()
    return core, org, new_decision(core)


def _alert(core: Juece, org: int, decision: int, key: str) -> int:
    """One new alert to the reviewer: its e-mail delivery's id (due now; the beat's relay hands it out)."""
    with core.db.write() as conn:
        alerts.notify_roles(conn, system_clock(), org_id=org, decision_id=decision, roles=["legal_reviewer"],
                            owner_id=None, kind="stall", key=key, subject=f"【演练】{key}", body="演练\nSIGKILL drill",
                            payload={})
        return int(conn.execute(select(DY.c.id).order_by(DY.c.id.desc())).scalars().first())


def _row(core: Juece, delivery: int) -> Any:
    with core.db.read() as conn:
        return conn.execute(select(DY).where(DY.c.id == delivery)).one()


def _committed(tmp: Path, delivery: int) -> tuple[float, float] | None:
    """From the worker's log: (seconds from the 250's arrival to the commit, wall time of the commit)."""
    pattern = re.compile(rf"delivery {delivery} attempt \d+: the server's 250 recorded ([\d.]+) ms after it arrived "
                         r"\(at ([\d.]+)\)")
    for log in tmp.glob("worker-*.log"):
        found = pattern.search(log.read_text(errors="replace"))
        if found:
            return float(found.group(1)) / 1000, float(found.group(2))
    return None  # an older tree does not log it


def _wall(naive_utc: dt.datetime | None) -> float | None:
    return None if naive_utc is None else naive_utc.replace(tzinfo=dt.UTC).timestamp()


def run_scenario(scenario: str, args: argparse.Namespace, tmp: Path, database: Database, broker_url: str,
                 log: Any) -> list[dict[str, Any]]:
    core, org, decision = _setup(database)
    rounds: list[dict[str, Any]] = []
    with SmtpServer() as smtp:
        sink = smtp.sink
        sink.stall_seconds = args.stall
        processes = DrillProcesses(tmp, database.url, broker_url, smtp.port, args.lease, args.code)
        try:
            worker = processes.worker("w0")
            processes.beat()
            for number in range(1, args.rounds + 1):
                key = f"drill:{scenario}:{number}:{uuid.uuid4().hex[:6]}"
                before = len(sink.messages)
                sink.stalling.clear()
                if scenario == "data":
                    sink.stall_data_next = 1
                else:
                    sink.stall_quit_next = 1
                delivery = _alert(core, org, decision, key)
                wait_for(sink.stalling.is_set, 120, f"round {number}: the worker to wait for the answer")
                stalled = time.time()
                time.sleep(max(0.0, stalled + args.kill_after - time.time()))  # the drill's kill point
                processes.kill(worker)
                killed = time.time()
                at_kill = _row(core, delivery)
                worker = processes.worker(f"w{number}")
                wait_for(lambda d=delivery: _row(core, d).status == "sent", 120, f"round {number}: recorded sent")
                # One more lease and two relays: any further copy would have been sent by now.
                settle = stalled + args.lease + 3.0
                while time.time() < settle:
                    time.sleep(0.2)
                done = _row(core, delivery)
                with sink.lock:
                    mine = [i for i in range(before, len(sink.messages))
                            if str(sink.messages[i]["X-Juece-Idempotency-Key"]).endswith(done.idempotency_key)]
                    ids = {str(sink.messages[i]["Message-ID"]) for i in mine}
                    accepted = [sink.accepted_at[i] for i in mine]
                    answered = [sink.answered_at[i] for i in mine]
                    quits = list(sink.quit_at)
                sent_at = _wall(done.sent_at)
                assert sent_at is not None
                last = len(mine) - 1  # the copy whose conversation juece recorded: any later one would be a bug
                answer = answered[last]
                quit_after = [q for q in quits if answer is not None and q >= answer]
                committed = _committed(tmp, delivery)
                result = {
                    "round": number, "delivery": delivery, "copies": len(mine), "message_ids": sorted(ids),
                    "status_at_kill": at_kill.status,
                    "handed_over_at_kill": getattr(at_kill, "handed_over_at", None) is not None,
                    "killed_after_acceptance_s": killed - accepted[0] if accepted else None,
                    "accept_to_recorded_s": sent_at - accepted[last],
                    "answer_to_recorded_s": sent_at - answer if answer is not None else None,
                    "answer_to_committed_s": committed[1] - answer if committed and answer is not None else None,
                    "worker_answer_to_committed_s": committed[0] if committed else None,
                    "recorded_before_quit": bool(quit_after) and sent_at < quit_after[0],
                    "resent_after_kill_s": accepted[1] - killed if len(accepted) > 1 else None,
                    "unconfirmed": getattr(done, "unconfirmed", None), "attempts": done.attempts,
                    "last_error": done.last_error, "loadavg": os.getloadavg()[0],
                }
                rounds.append(result)
                print(f"{scenario} round {number}: {len(mine)} cop{'y' if len(mine) == 1 else 'ies'}, "
                      f"{len(ids)} Message-ID, answer→recorded {result['answer_to_recorded_s']:.4f} s, "
                      f"status at kill {at_kill.status}", file=log, flush=True)
        finally:
            processes.close()
    return rounds


def _database(args: argparse.Namespace, tmp: Path, scenario: str) -> tuple[Database, Any]:
    if not args.postgres:
        return Database(f"sqlite:///{tmp}/juece-{scenario}.db"), None
    schema = "drill_" + uuid.uuid4().hex[:10]
    admin = create_engine(args.postgres)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in args.postgres else "?"
    database = Database(f"{args.postgres}{sep}options={quote(f'-csearch_path={schema}')}")

    def drop() -> None:
        database.dispose()
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return database, drop


def summarise(scenario: str, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    copies: dict[int, int] = {}
    for r in rounds:
        copies[r["copies"]] = copies.get(r["copies"], 0) + 1
    return {
        "rounds": len(rounds), "copies": {str(k): v for k, v in sorted(copies.items())},
        "one_message_id_every_round": all(len(r["message_ids"]) == 1 for r in rounds),
        "unconfirmed_matches_extra_copies": all(r["unconfirmed"] is None or r["unconfirmed"] == r["copies"] - 1
                                                for r in rounds),
        "recorded_before_quit": sum(bool(r["recorded_before_quit"]) for r in rounds),
        "accept_to_recorded_s": _stats([r["accept_to_recorded_s"] for r in rounds]),
        "answer_to_recorded_s": _stats([r["answer_to_recorded_s"] for r in rounds if r["answer_to_recorded_s"] is not None]),
        "answer_to_committed_s": _stats([r["answer_to_committed_s"] for r in rounds
                                         if r["answer_to_committed_s"] is not None]),
        "resent_after_kill_s": _stats([r["resent_after_kill_s"] for r in rounds if r["resent_after_kill_s"] is not None]),
    }


def markdown(result: dict[str, Any]) -> str:
    p, m = result["params"], result["machine"]
    ms = lambda s: "–" if s is None else f"{s['median'] * 1000:.1f} ms (min {s['min'] * 1000:.1f}, max {s['max'] * 1000:.1f})"  # noqa: E731
    lines = [f"# E-mail SIGKILL drill ({result['label']})", "",
             f"`{result['command']}`", "",
             f"Code under test: {result['code']} · database {p['database']} · broker {p['broker']} · lease {p['lease']:g} s · "
             f"server stall {p['stall']:g} s · SIGKILL {p['kill_after']:g} s into the stall · {p['rounds']} rounds per scenario.",
             f"Machine: {m['cpu_model']}, {m['nproc']} CPUs (shared with other work), {m['mem_gib']} GiB, Linux {m['kernel']}, "
             f"Python {m['python']}, Celery {m['celery']}, aiosmtpd {m['aiosmtpd']}; git {m['git_head']}"
             f"{' (+ uncommitted changes)' if m['git_tracked_changes'] else ''}; load average "
             f"{result['loadavg_start']:.1f} at the start, {result['loadavg_end']:.1f} at the end; "
             f"{result['started']} – {result['finished']}.", "",
             "| stalled answer | copies per round (copies: rounds) | one Message-ID each round | recorded before QUIT "
             "| server keeps copy → `sent_at` | server's 250 → `sent_at` | server's 250 → committed "
             "| SIGKILL → copy sent again |",
             "|---|---|---|---|---|---|---|---|"]
    for scenario, s in result["summary"].items():
        lines.append(f"| {scenario.upper()} | {', '.join(f'{k}: {v}' for k, v in s['copies'].items())} "
                     f"| {'yes' if s['one_message_id_every_round'] else 'NO'} | {s['recorded_before_quit']}/{s['rounds']} "
                     f"| {ms(s['accept_to_recorded_s'])} | {ms(s['answer_to_recorded_s'])} "
                     f"| {ms(s['answer_to_committed_s'])} "
                     f"| {ms(s['resent_after_kill_s'])} |")
    lines += ["", "Windows are measured on the copy juece recorded (the retry's, when the first conversation was "
              "killed), wall clock, one machine: from the server keeping the message, or sending its 250, to the "
              "delivery's `sent_at` (the instant the recording transaction read), and to the commit of that "
              "transaction (the worker logs it; older trees do not). Until that commit a SIGKILL means a second copy.",
              ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--scenarios", default="data,quit")
    parser.add_argument("--stall", type=float, default=5.0, help="seconds the server stalls its answer")
    parser.add_argument("--kill-after", type=float, default=2.0, help="SIGKILL this many seconds into the stall")
    parser.add_argument("--lease", type=float, default=10.0, help="JUECE_DELIVERY_LEASE_SECONDS")
    parser.add_argument("--code", type=Path, default=ROOT, help="source tree the worker runs from")
    parser.add_argument("--label", default="", help="a name for this run in the summary")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL (a fresh schema per scenario)")
    parser.add_argument("--redis", action="store_true", help="a private redis-server as the broker")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "email-drill.json")
    args = parser.parse_args()
    args.code = args.code.resolve()
    started, load_start = dt.datetime.now(dt.UTC), os.getloadavg()[0]
    result: dict[str, Any] = {
        "label": args.label or ("this tree" if args.code == ROOT else str(args.code)),
        "command": shlex.join([".venv/bin/python", *sys.argv]), "machine": machine_info(),
        "code": f"{args.code} (git {_git('rev-parse', '--short', 'HEAD', cwd=args.code) or 'not a checkout'})",
        "params": {"rounds": args.rounds, "stall": args.stall, "kill_after": args.kill_after, "lease": args.lease,
                   "database": "PostgreSQL" if args.postgres else "SQLite", "broker": "Redis" if args.redis else "embedded"},
        "started": started.isoformat(timespec="seconds"), "loadavg_start": load_start, "scenarios": {}, "summary": {}}
    for scenario in args.scenarios.split(","):
        with tempfile.TemporaryDirectory(prefix=f"email-drill-{scenario}-") as folder:
            tmp = Path(folder)
            database, drop = _database(args, tmp, scenario)
            redis = PrivateRedis(tmp) if args.redis else None
            try:
                if redis is not None:
                    redis.start()
                broker = redis.url if redis is not None else f"sqla+sqlite:///{tmp}/broker.db"
                rounds = run_scenario(scenario, args, tmp, database, broker, sys.stdout)
            except Exception:
                for log in sorted(tmp.glob("*.log")):
                    print(f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}", file=sys.stderr)
                raise
            finally:
                if redis is not None:
                    redis.stop()
                if drop is not None:
                    drop()
                else:
                    database.dispose()
        result["scenarios"][scenario] = rounds
        result["summary"][scenario] = summarise(scenario, rounds)
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    result["loadavg_end"] = os.getloadavg()[0]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    args.out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
