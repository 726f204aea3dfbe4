"""Benchmark: verification that scales — decision page and ``audit verify ID`` by archive size, and
incremental ``audit verify`` after one new event against ``--full``.

One command runs everything (see bench/README.md)::

    .venv/bin/python bench/verify.py --out bench/results/verify.json

The archive is built fast but valid: one real decision is driven through the service (cn-713, flags
``technical``, to publication: signed expert, adviser, legality and chief-executive steps, draft and
opinion documents), then cloned N-1 times. Each clone gets its own documents (the template's content plus
the clone's number, so its own SHA-256), its events with those hashes substituted, re-signed by the same
people's keys over the clone's stream and re-chained (``workflow.record.signing.chain_hash``); its facts are the
template's with the hashes substituted, checked once against ``engine.replay`` of the first clone. Every
clone verifies (the bench checks it). SQLite only (a file in a temporary folder).

At each size (1 000, 10 000, 100 000 decisions by default; the archive grows between them):
(a) the decision page: Flask test client GET ``/decisions/<id>`` signed in as the owner, median of N;
(b) ``juece audit verify ID`` in-process (CliRunner), median of N;
(c) at the sizes given by ``--full-at`` (1 000 and 10 000): ``juece audit verify --full`` once (it records the
    positions), then one new event on one decision, then ``juece audit verify`` (incremental) once; both exit 0.
    At the other sizes (100 000) a ``--full`` would take ~15 minutes on this machine, so the clones added since
    the last ``--full`` are recorded as verified by the bench while it builds them (the rows a clean ``--full``
    records), and only the incremental run after one new event is measured.
Ratios are to the 1 000 figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# bench/transitions.py is named like the ``transitions`` library the engine uses: take this folder off the path.
sys.path[:] = [p for p in sys.path if Path(p or os.curdir).resolve() != HERE]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # for tests.helpers (the tests package is not installed)

import sqlalchemy  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from api import create_app  # noqa: E402
from cli.common import Ctx  # noqa: E402
from cli.main import main  # noqa: E402
from config.settings import Settings  # noqa: E402
from tests.conftest import make_core  # noqa: E402
from tests.helpers import PASSWORD, Clock, new_decision, to_publication  # noqa: E402
from tests.web.conftest import People  # noqa: E402
from workflow.engine.decide import replay  # noqa: E402
from workflow.persistence.db import Database  # noqa: E402
from workflow.persistence.store import DOC, DV, D, E, K, Store, U, naive  # noqa: E402
from workflow.record import keywrap  # noqa: E402
from workflow.record.audit import DECISION_COLUMNS, row_hash  # noqa: E402
from workflow.record.audit_positions import VD, VS  # noqa: E402
from workflow.record.keys import unlock  # noqa: E402
from workflow.record.signing import GENESIS, chain_hash, sha256_hex, signing_digest  # noqa: E402
from workflow.service import Juece  # noqa: E402

START = "2026-03-02T09:00"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()


def machine_info() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    mem = re.search(r"MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text())
    import sqlite3

    return {"nproc": os.cpu_count(), "cpu_model": model.group(1).strip() if model else "?",
            "mem_gib": round(int(mem.group(1)) / 1048576, 1) if mem else None, "kernel": platform.release(),
            "python": sys.version.split()[0], "sqlalchemy": sqlalchemy.__version__, "sqlite": sqlite3.sqlite_version,
            "git_head": _git("rev-parse", "--short", "HEAD"),
            "git_tracked_changes": bool(_git("status", "--porcelain", "--untracked-files=no")),
            "load_average": os.getloadavg()}


class Cloner:
    """Copies the template decision into new, valid decisions (own documents, signatures and chain)."""

    def __init__(self, core: Juece, template: int) -> None:
        self.core = core
        with core.db.read() as conn:
            self.row = conn.execute(select(D).where(D.c.id == template)).one()
            self.events = [dict(r._mapping) for r in conn.execute(
                select(E).where(E.c.stream == f"decision:{template}").order_by(E.c.seq))]
            self.versions = [dict(r._mapping) for r in conn.execute(select(DV).where(DV.c.decision_id == template))]
            shas = {v["sha256"] for v in self.versions}
            self.docs = {r.sha256: r for r in conn.execute(select(DOC).where(DOC.c.sha256.in_(shas)))}
            store = Store(conn)
            self.keys: dict[str, Any] = {}
            for event in self.events:
                signature = event["event"].get("signature")
                if signature and signature["key"] not in self.keys:
                    name = event["event"]["actor"]["name"]
                    user_id = conn.execute(select(U.c.id).where(U.c.name == name)).scalar_one()
                    key_id, private = unlock(store, int(user_id), name, PASSWORD)
                    assert key_id == signature["key"], "the template's signer rotated a key"
                    self.keys[key_id] = private
            self.key_ids = {r.key_id for r in conn.execute(select(K.c.key_id))}
        self.procedure = core.catalog.get(f"{self.row.procedure_id}@{self.row.procedure_version}")
        self.event_text = [json.dumps(e["event"], ensure_ascii=False) for e in self.events]
        self.facts_text = json.dumps(self.row.facts, ensure_ascii=False)
        self.checked = False

    def rows(self, decision_id: int) -> dict[str, list[dict[str, Any]]]:
        """The rows of one clone with id ``decision_id``."""
        stream = f"decision:{decision_id}"
        swap: dict[str, str] = {}
        docs = []
        for sha, doc in self.docs.items():
            content = bytes(doc.content) + f"\n#{decision_id}".encode()
            swap[sha] = sha256_hex(content)
            docs.append({"sha256": swap[sha], "content": content, "size": len(content), "media_type": doc.media_type,
                         "created_at": doc.created_at})

        def swapped(text: str) -> str:
            for old, new in swap.items():
                text = text.replace(old, new)
            return text

        events, prev = [], GENESIS
        for template, text in zip(self.events, self.event_text, strict=True):
            event = json.loads(swapped(text))
            if "signature" in event:
                digest = signing_digest(stream, event)
                key = event["signature"]["key"]
                event["signature"] = {"key": key, "digest": digest,
                                      "sig": keywrap.sign_digest(self.keys[key], digest)}
            digest = chain_hash(prev, stream, template["seq"], template["from_state"], template["to_state"], event)
            events.append({k: v for k, v in template.items() if k != "id"} | {
                "stream": stream, "event": event, "prev_hash": prev, "hash": digest})
            prev = digest
        facts = json.loads(swapped(self.facts_text))
        if not self.checked:
            state, folded = replay(self.procedure, [e["event"] | {"to": e["to_state"]} for e in events])
            assert (state, folded) == (self.row.state, facts), "a clone's facts are not the replay of its events"
            self.checked = True
        row = {k: v for k, v in self.row._mapping.items()} | {"id": decision_id, "facts": facts, "last_hash": prev}
        versions = [{k: v for k, v in dv.items() if k != "id"} | {"decision_id": decision_id,
                                                                  "sha256": swap[dv["sha256"]]}
                    for dv in self.versions]
        return {"decision": [row], "document": docs, "event": events, "version": versions}


def grow(core: Juece, cloner: Cloner, upto: int, seed: bool, batch: int = 1000) -> float:
    """Add clones until there are ``upto`` decisions (with ``seed``, recorded as verified, the rows a clean
    ``--full`` would record for them); return the seconds it took."""
    started = time.monotonic()
    with core.db.read() as conn:
        have = int(conn.execute(select(sqlalchemy.func.max(D.c.id))).scalar_one())
    while have < upto:
        chunk: dict[str, list[dict[str, Any]]] = {"decision": [], "document": [], "event": [], "version": []}
        for decision_id in range(have + 1, min(upto, have + batch) + 1):
            for table, rows in cloner.rows(decision_id).items():
                chunk[table] += rows
        with core.db.write() as conn:
            conn.execute(insert(D), chunk["decision"])
            conn.execute(insert(DOC), chunk["document"])
            conn.execute(insert(E), chunk["event"])
            conn.execute(insert(DV), chunk["version"])
            if seed:
                now = naive(core.clock())
                ids = [d["id"] for d in chunk["decision"]]
                stored = conn.execute(select(*DECISION_COLUMNS).where(D.c.id.in_(ids))).all()
                conn.execute(insert(VS), [{"stream": f"decision:{r.id}", "seq": r.version, "hash": r.last_hash,
                                           "row_hash": row_hash(r.state, r.facts_raw), "verified_at": now}
                                          for r in stored])
                conn.execute(insert(VD), [{"sha256": d["sha256"], "verified_at": now} for d in chunk["document"]])
        have = min(upto, have + batch)
    return time.monotonic() - started


def timed(call: Any, repeat: int) -> dict[str, float]:
    """Median and range in ms of ``repeat`` calls (after one warm-up)."""
    call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append(1000 * (time.perf_counter() - started))
    return {"median_ms": statistics.median(samples), "min_ms": min(samples), "max_ms": max(samples), "n": repeat}


def cli(settings: Settings, clock: Clock, *args: str) -> Any:
    result = CliRunner().invoke(main, ["audit", "verify", *args], obj=Ctx(settings, clock))
    assert result.exit_code == 0, result.output
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    url = f"sqlite:///{folder / 'juece.db'}"
    clock = Clock(dt.datetime.fromisoformat(START).replace(tzinfo=dt.timezone(dt.timedelta(hours=8))))
    core = make_core(Database(url), clock)
    template = new_decision(core, ["technical"])
    decided_on = to_publication(core, clock, template, ["technical"])
    publish = {"channels": ["政府网站"], "published_on": max(dt.date(2026, 5, 10), decided_on).isoformat(),
               "adoption_explanation": "公众意见和专家意见均已采纳"}
    cloner = Cloner(core, template)
    settings = Settings(instance_dir=folder / "instance", database_url=url, broker_url="memory://",
                        secret_key="bench-secret")
    app = create_app(settings, core)
    app.config["TESTING"] = True
    browser = People(core, app).client("owner")
    out: dict[str, Any] = {"folder": str(folder), "template": {"events": len(cloner.events), "documents": len(cloner.docs),
                                        "signed_events": sum("signature" in e["event"] for e in cloner.events)},
                           "sizes": []}
    for size in args.sizes:
        build = grow(core, cloner, size, seed=bool(out["sizes"]) and size not in args.full_at)
        probe = size // 2  # a clone in the middle of the archive
        log(f"{size} decisions (built in {build:.0f} s); measuring decision {probe}")

        def page(probe: int = probe) -> None:
            response = browser.get(f"/decisions/{probe}")
            assert response.status_code == 200 and "完整，未被篡改" in response.get_data(as_text=True)

        cell: dict[str, Any] = {"decisions": size, "build_s": build, "page": timed(page, args.repeat),
                                "verify_id": timed(lambda probe=probe: cli(settings, clock, str(probe)), args.repeat)}
        with core.db.read() as conn:
            cell["events"] = int(conn.execute(select(sqlalchemy.func.count()).select_from(E)).scalar_one())
            cell["documents"] = int(conn.execute(select(sqlalchemy.func.count()).select_from(DOC)).scalar_one())
        if size in args.full_at:
            started = time.monotonic()
            full = json.loads(cli(settings, clock, "--full", "--json").output)
            cell["full"] = {"seconds": time.monotonic() - started, "report": full}
        if size in args.full_at or out["sizes"]:
            cell["seeded"] = size not in args.full_at
            clock.advance(minutes=5)
            core.act(probe, "publish", "publisher", publish)  # the one new event
            started = time.monotonic()
            again = json.loads(cli(settings, clock, "--json").output)
            cell["incremental"] = {"seconds": time.monotonic() - started, "report": again}
            log(f"  --full {cell['full']['seconds'] if 'full' in cell else float('nan'):.1f} s, incremental after one "
                f"event {cell['incremental']['seconds']:.2f} s ({again['events']} events, {again['decisions']} decisions)")
        log(f"  page {cell['page']['median_ms']:.1f} ms, audit verify ID {cell['verify_id']['median_ms']:.1f} ms")
        out["sizes"].append(cell)
    return out


def interleaved(folders: list[Path], repeat: int) -> dict[str, Any]:
    """Page and ``audit verify ID`` on existing bench archives, one sample of each archive in turn, so that the
    load of a shared machine falls on every size alike."""
    from workflow.engine.catalog import default_catalog
    from workflow.record.keywrap import FAST

    clock = Clock(dt.datetime.fromisoformat("2026-06-01T09:00").replace(tzinfo=dt.timezone(dt.timedelta(hours=8))))
    cells = []
    for folder in folders:
        url = f"sqlite:///{folder / 'juece.db'}"
        core = Juece(Database(url), default_catalog(), b"test-secret", clock, kdf=FAST)
        with core.db.read() as conn:
            size = int(conn.execute(select(sqlalchemy.func.count()).select_from(D)).scalar_one())
        settings = Settings(instance_dir=folder / "instance", database_url=url, broker_url="memory://",
                            secret_key="bench-secret")
        app = create_app(settings, core)
        app.config["TESTING"] = True
        cells.append({"decisions": size, "probe": size // 2, "settings": settings,
                      "browser": People(core, app).client("owner"), "page": [], "verify_id": []})
    for _ in range(repeat + 1):  # the first round warms up
        for cell in cells:
            started = time.perf_counter()
            response = cell["browser"].get(f"/decisions/{cell['probe']}")
            assert response.status_code == 200 and "完整，未被篡改" in response.get_data(as_text=True)
            cell["page"].append(1000 * (time.perf_counter() - started))
            started = time.perf_counter()
            cli(cell["settings"], clock, str(cell["probe"]))
            cell["verify_id"].append(1000 * (time.perf_counter() - started))
    return {"sizes": [{"decisions": c["decisions"], **{k: {"median_ms": statistics.median(c[k][1:]),
                                                            "min_ms": min(c[k][1:]), "max_ms": max(c[k][1:]),
                                                            "n": repeat} for k in ("page", "verify_id")}}
                      for c in cells]}


def interleaved_markdown(result: dict[str, Any]) -> str:
    """The summary of an --interleave run."""
    m, sizes = result["machine"], result["sizes"]
    base = sizes[0]
    lines = ["# Decision page and `audit verify ID`, sizes measured in turn", "",
             f"Command: `{result['command']}`  ",
             f"Started {result['started']}, took {result['seconds']:.0f} s. Machine: {m['nproc']} CPUs "
             f"({m['cpu_model']}), shared with other work (load average at start "
             f"{', '.join(f'{x:.2f}' for x in m['load_average'])}); SQLite {m['sqlite']}. git {m['git_head']}.", "",
             "The archives `bench/verify.py` built (one per size), opened together; each round takes one page and "
             "one `audit verify ID` sample of each archive in turn, so a busy neighbour slows every size alike. "
             "Median in ms (range) and the ratio to the 1 000 figure.", "",
             "| decisions | page ms | page ratio | verify ID ms | verify ID ratio |", "|---|---|---|---|---|"]
    for c in sizes:
        p, v = c["page"], c["verify_id"]
        lines.append(f"| {c['decisions']:,} | {p['median_ms']:.1f} ({p['min_ms']:.1f}–{p['max_ms']:.1f}) | "
                     f"{p['median_ms'] / base['page']['median_ms']:.2f} | {v['median_ms']:.1f} "
                     f"({v['min_ms']:.1f}–{v['max_ms']:.1f}) | {v['median_ms'] / base['verify_id']['median_ms']:.2f} |")
    return "\n".join(lines + [""])


def markdown(result: dict[str, Any]) -> str:
    m, t = result["machine"], result["template"]
    sizes = result["sizes"]
    base = sizes[0]
    lines = ["# Verification by archive size", "",
             f"Command: `{result['command']}`  ",
             f"Started {result['started']}, took {result['seconds']:.0f} s. Machine: {m['nproc']} CPUs "
             f"({m['cpu_model']}), {m['mem_gib']} GiB, shared with other work (load average at start "
             f"{', '.join(f'{x:.2f}' for x in m['load_average'])}); Python {m['python']}, SQLAlchemy "
             f"{m['sqlalchemy']}, SQLite {m['sqlite']} (a file on local disk; PostgreSQL not measured). git "
             f"{m['git_head']}{' (with uncommitted changes)' if m['git_tracked_changes'] else ''}.", "",
             f"Every decision is a clone of one real cn-713 decision taken to publication: {t['events']} events "
             f"({t['signed_events']} signed), {t['documents']} documents of its own; see bench/verify.py for how "
             "clones stay valid.", "",
             "## (a) decision page and (b) `juece audit verify ID`", "",
             "Median of the runs in ms (range), and the ratio to the 1 000-decision figure. Each size is measured "
             "when the archive has grown to it, so a busy neighbour on the shared machine lands on one size and "
             "not the others; `verify-interleaved.md` measures the sizes in turn (`--interleave`).", "",
             "| decisions | events | documents | page ms | page ratio | verify ID ms | verify ID ratio |",
             "|---|---|---|---|---|---|---|"]
    for c in sizes:
        p, v = c["page"], c["verify_id"]
        lines.append(f"| {c['decisions']:,} | {c['events']:,} | {c['documents']:,} | {p['median_ms']:.1f} "
                     f"({p['min_ms']:.1f}–{p['max_ms']:.1f}) | {p['median_ms'] / base['page']['median_ms']:.2f} | "
                     f"{v['median_ms']:.1f} ({v['min_ms']:.1f}–{v['max_ms']:.1f}) | "
                     f"{v['median_ms'] / base['verify_id']['median_ms']:.2f} |")
    lines += ["", "## (c) `juece audit verify`: `--full` against incremental after one new event", "",
              "| decisions | --full s | incremental s | ratio | incremental checked (events / decisions / "
              "documents) | unchanged decisions skipped |", "|---|---|---|---|---|---|"]
    per_decision = None
    for c in sizes:
        if "incremental" not in c:
            continue
        i, r = c["incremental"], c["incremental"]["report"]
        if "full" in c:
            full_s, per_decision = f"{c['full']['seconds']:.1f}", c["full"]["seconds"] / c["decisions"]
            ratio = f"{i['seconds'] / c['full']['seconds']:.4f}"
        else:
            estimate = per_decision * c["decisions"] if per_decision else None
            full_s = f"not run (≈{estimate:.0f} at the rate above)" if estimate else "not run"
            ratio = f"≈{i['seconds'] / estimate:.4f}" if estimate else "–"
        lines.append(f"| {c['decisions']:,} | {full_s} | {i['seconds']:.2f} | {ratio} | "
                     f"{r['events']} / {r['decisions']} / {r['documents']} | {r['skipped']:,} |")
    lines += ["", "Where `--full` was not run (it takes about as long per decision at any size), the bench recorded "
              "the clones' positions and documents itself as a clean `--full` records them (same rows: stream, "
              "last seq and hash, state-and-facts fingerprint; each document's hash) while building the archive; "
              "the `--full` time there is the per-decision rate of the largest measured `--full` times the size.",
              "", "Both runs exit 0. The incremental run still reads every decision row (version, head hash, "
              "state and facts fingerprint) and every recorded position with the event stored there; it walks "
              "only the one decision that changed and re-hashes no document already verified.", ""]
    return "\n".join(lines)


def main_() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--full-at", default="1000,10000", help="sizes at which --full and incremental run")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--interleave", default="", help="FOLDER,FOLDER…: only measure page and verify ID on "
                        "archives earlier runs left (their 'folder'), round-robin")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "verify.json")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.full_at = {int(s) for s in args.full_at.split(",") if s}
    started, clock0 = dt.datetime.now(dt.UTC), time.monotonic()
    result = {"command": "python bench/verify.py " + " ".join(sys.argv[1:]), "machine": machine_info(),
              "started": started.isoformat(timespec="seconds")}
    if args.interleave:
        result |= interleaved([Path(f) for f in args.interleave.split(",")], args.repeat)
        result["seconds"] = time.monotonic() - clock0
        args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
        args.out.with_suffix(".md").write_text(interleaved_markdown(result))
        log(f"wrote {args.out} and {args.out.with_suffix('.md')}")
        return
    result |= run(args)
    result["seconds"] = time.monotonic() - clock0
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    args.out.with_suffix(".md").write_text(markdown(result))
    log(f"wrote {args.out} and {args.out.with_suffix('.md')}")


if __name__ == "__main__":
    main_()
