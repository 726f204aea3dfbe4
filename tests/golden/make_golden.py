"""Write the golden records: complete audit trails made by the code of the day they were generated.

Run by hand, from the repository root, and never by the test suite:

    .venv/bin/python -m tests.golden.make_golden

or, to add the decisions of new chapters after the existing records without touching them (the way to
add a golden record for a new procedure pack version; ``tests/golden/README.md``):

    .venv/bin/python -m tests.golden.make_golden --extend CHAPTER...

It builds a fresh SQLite database in a temporary folder, creates one office with its people (each with
their own password and so their own signing key), and drives the stories below through the service
layer with a fixed, moving clock; then it dumps every row a verification reads to
``tests/golden/records/*.json`` (raw: see ``tests.golden.fixture``) with, per decision, the state and
facts fingerprint after every event.

Regenerating replaces the records with new keys, signatures and hashes. Never do it to make
``tests/test_golden_records.py`` pass: read ``tests/golden/README.md`` first.

The stories:

* ``full`` (cn-713): every consultation task, hearing, expert opinions, adviser opinion, signed and
  corrected legality opinion, corrected meeting, decision, Party consent, publication, progress and
  problem reports, suspension and resumption, evaluation, closed.
* ``withdrawn`` (cn-713): a confirmed back-entry (补录) of initiation and a signed one of an expert
  opinion, a rejected back-entry, a waived task, a corrected comment window, materials returned, an
  opinion asking for changes, a withdrawal declined and then a withdrawal approved: terminated.
* ``declined`` (cn-713): not initiated.
* ``withheld`` (cn-713, confidential): through a deferred and then an adopted decision, publication
  lawfully withheld, suspended, terminated.
* ``contract`` (contract-review): accepted by a deputy, materials returned, resubmitted, a signed
  revise-and-resubmit opinion, a no-objection opinion on the new text, signed, archived.
* ``rejected`` (cn-713): a risk found uncontrollable and an unlawful opinion, each sending the draft back;
  then the chief executive rejects the decision.
* ``refused`` (contract-review): the contract found unlawful, not to be signed.
* ``evaluated`` (cn-713): an evaluation asking for a major change (which opens a linked decision,
  ``evaluated-linked``), then one concluding in termination.
* ``recalled`` (cn-713): withdrawn directly by the chief executive, signed.

Together they take every action and reach every outcome of both procedures.

Along the way the system stream registers every key, a key rotation (old signatures must keep
verifying under the retired key) and a deputy grant and its revocation. At the end every event is
sequenced into the transparency log and one tree head is signed over all of them; its verifier key
goes into ``expected.json``, so the test checks the log against a pinned key, not only the database's.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from tests.golden.chapters import CHAPTERS, STORY
from tests.golden.fixture import LK, RECORDS, dump_table, load_records, read_expected, read_rows, write_records
from tests.golden.story import CST, OFFICE, ORIGIN, PASSWORD, PEOPLE, SECRET, Clock, Story, people
from workflow.admin import offices as admin
from workflow.engine.catalog import default_catalog
from workflow.persistence.db import Database
from workflow.persistence.store import DOC, DV, D, E, U
from workflow.record import keys, tlog_verify, transparency
from workflow.record.audit import verify_all
from workflow.record.keywrap import FAST
from workflow.record.tlog import LL
from workflow.record.transparency import TH
from workflow.service import Juece

#: Tables whose existing rows an extension must leave byte for byte as they are (keys and heads may change state).
FROZEN = (E, D, DOC, DV, LL, TH)


def generate(folder: Path = RECORDS, extend: tuple[str, ...] = ()) -> dict[str, Any]:
    """Tell the story in a fresh SQLite database and dump it to ``folder``; returns the expectations.

    With ``extend``, the existing records are loaded first and only those chapters are told after them:
    every existing event, decision, document and log row is dumped again unchanged (checked).
    """
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/golden.db")
        try:
            database.upgrade()
            if extend:
                core, clock, before = _reopen(database, folder)
            else:
                clock, before = Clock("2025-11-01T09:00"), {"decisions": {}, "log": []}
                core = Juece(database, default_catalog(), SECRET, clock, kdf=FAST)
                people(core)
            story = Story(core, clock)
            for name in extend or STORY:
                CHAPTERS[name](story)
            # The transparency log: every event sequenced and a signed tree head over all of them.
            head = transparency.publish(core, ORIGIN)
            with database.read() as conn:
                expected = _checked(conn, core, story, before, head)
                frozen = {t.name: dump_table(conn, t) for t in FROZEN}
                written = write_records(conn, expected, folder)
        finally:
            database.dispose()
    if extend:
        _unchanged(before["frozen"], frozen)
    size = sum(p.stat().st_size for p in written)
    print(f"wrote {len(written)} files, {size} bytes, to {folder}", file=sys.stderr)
    return expected


def _reopen(database: Database, folder: Path) -> tuple[Juece, Clock, dict[str, Any]]:
    """The existing records loaded; everyone given a new key (the golden keys' private halves are not on file)
    and the log a new key (likewise), the clock just after the last recorded instant."""
    with database.write() as conn:
        load_records(conn, folder)
        last = max(dt.datetime.fromisoformat(r["at"]) for r in read_rows(E, folder))
        frozen = {t.name: dump_table(conn, t) for t in FROZEN}
    clock = Clock((last.replace(tzinfo=dt.UTC) + dt.timedelta(hours=1)).astimezone(CST).strftime("%Y-%m-%dT%H:%M"))
    core = Juece(database, default_catalog(), SECRET, clock, kdf=FAST)
    with database.write() as conn:
        known = {str(r.name) for r in conn.execute(select(U.c.name))}
        conn.execute(update(LK).where(LK.c.retired_at.is_(None)).values(retired_at=clock().replace(tzinfo=None)))
    for name, role, unit in PEOPLE:
        if name not in known:
            admin.add_user(core, name, [role], OFFICE, unit=unit)
        keys.change_password(core, name, PASSWORD)
    return core, clock, read_expected(folder) | {"frozen": frozen}


def _checked(conn: Any, core: Juece, story: Story, before: dict[str, Any], head: dict[str, Any] | None
             ) -> dict[str, Any]:
    """The expectations (earlier decisions kept, the story's added, the new head appended), once all verifies."""
    report = verify_all(conn, core.catalog)
    if not report.ok:
        raise SystemExit(f"the story does not verify: {[str(p) for p in report.problems]}")
    vkey = transparency.require_key(conn)["verifier_key"]
    heads = [*before["log"], {"head": head, "verifier_key": vkey}]
    for logged in heads:
        problems = tlog_verify.verify_against(conn, logged["head"] or {}, logged["verifier_key"]).problems
        if problems:
            raise SystemExit(f"the log does not verify: {problems}")
    rows = conn.execute(select(D.c.id, D.c.procedure_id, D.c.procedure_version, D.c.linked_from).order_by(D.c.id))
    procedures, old = {}, {int(v["id"]) for v in before["decisions"].values()}
    for r in rows:
        procedures[int(r.id)] = f"{r.procedure_id}@{r.procedure_version}"
        if int(r.id) not in story.names and int(r.id) not in old:  # made by the engine (a major change's follow-up)
            story.names[int(r.id)] = f"{story.names[int(r.linked_from)]}-linked"
    told = {story.names[did]: {"id": did, "procedure": procedures[did],
                               "steps": [story.steps[did][seq] for seq in sorted(story.steps[did])]}
            for did in sorted(story.names)}
    clash = set(told) & set(before["decisions"])
    if clash:
        raise SystemExit(f"decision names already in the records: {sorted(clash)}")
    return {"decisions": before["decisions"] | told, "log": heads}


def _unchanged(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> None:
    """Fail unless every row that was in a frozen table is still there, identical."""
    for table, rows in before.items():
        kept = [r for r in after[table] if r in rows]
        if len(kept) != len(rows):
            raise SystemExit(f"extending changed existing rows of {table}: restore the records from git")


def main(argv: list[str]) -> None:
    """``make_golden`` (the whole story, fresh) or ``make_golden --extend CHAPTER...`` (after the records)."""
    if argv[:1] == ["--extend"]:
        unknown = [n for n in argv[1:] if n not in CHAPTERS]
        if unknown or not argv[1:]:
            raise SystemExit(f"--extend needs chapters of CHAPTERS, not {unknown or 'nothing'}")
        generate(extend=tuple(argv[1:]))
    elif argv:
        raise SystemExit("usage: python -m tests.golden.make_golden [--extend CHAPTER...]")
    else:
        generate()


if __name__ == "__main__":
    main(sys.argv[1:])
