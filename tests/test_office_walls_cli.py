"""Offices are walls on the command line: office B's people reach nothing of office A."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.helpers import Clock
from tests.test_cli import Cli
from workflow.notices import alerts
from workflow.persistence.db import Database
from workflow.persistence.store import CD, OCD, D, N
from workflow.timing.calendar import WorkCalendar

DRAFT = "古塘街道 机密草案第一稿"
SHA = hashlib.sha256(DRAFT.encode()).hexdigest()


@pytest.fixture()
def walls_cli(database: Database, clock: Clock, tmp_path: Path) -> Cli:
    """``juece`` over a migrated, empty database."""
    runner = Cli(database, clock, tmp_path)
    runner("db", "upgrade")
    return runner


def _two_offices(cli: Cli) -> tuple[str, str]:
    """Office A's decision with a draft, and office B's decision in drafting."""
    for name, role, org in [("王建国", "owner", "古塘街道"), ("孙海峰", "chief_executive", "古塘街道"),
                            ("赵外", "owner", "外街道"), ("钱外", "chief_executive", "外街道")]:
        cli("users", "add", name, "--role", role, "--org", org)
    a = cli("decisions", "create", "--procedure", "cn-713", "--title", "界牌", "--owner", "王建国").output.strip()
    cli.act(a, "initiate", "王建国", owner_unit="城建办", flags=[])
    cli.act(a, "upload_draft", "王建国", content=DRAFT, filename="草案.txt")
    b = cli("decisions", "create", "--procedure", "cn-713", "--title", "外街道旧改", "--owner", "赵外").output.strip()
    cli.act(b, "initiate", "赵外", owner_unit="城建办", flags=[])
    return a, b


def test_another_offices_hash_and_person_are_refused(walls_cli: Cli) -> None:
    cli = walls_cli
    a, b = _two_offices(cli)
    data = json.dumps({"content": {"sha256": SHA}})
    refused = cli("decisions", "act", b, "upload_draft", "--as", "赵外", "--data", data, ok=False)
    assert refused.exit_code == 1 and "no stored document" in refused.output and "古塘" not in refused.output
    withdraw = json.dumps({"reason": "政策调整", "approver": "孙海峰"}, ensure_ascii=False)
    refused = cli("decisions", "act", b, "withdraw", "--as", "赵外", "--data", withdraw, ok=False)
    # An approver is never a typed name, of this office or another: the field itself is refused.
    assert refused.exit_code == 1 and "approval_not_typed" in refused.output and "孙海峰" not in refused.output
    assert SHA[:16] not in cli("decisions", "show", b).output and SHA[:16] in cli("decisions", "show", a).output


def test_calendar_set_with_office_moves_only_that_office(walls_cli: Cli, database: Database) -> None:
    cli = walls_cli
    _two_offices(cli)
    assert "2026-03-04 holiday" in cli("calendar", "set", "2026-03-04", "holiday", "--office", "外街道").output
    with database.read() as conn:
        assert conn.execute(select(CD.c.day)).all() == []  # the national table is untouched
        assert [str(r.day) for r in conn.execute(select(OCD.c.day))] == ["2026-03-04"]
    assert cli("calendar", "set", "2026-03-05", "holiday", "--office", "无此单位", ok=False).exit_code == 1
    # Without --office the system administrator corrects the national calendar, for every office.
    cli("calendar", "set", "2026-03-06", "holiday", "--name", "全国调整")
    with database.read() as conn:
        assert [str(r.day) for r in conn.execute(select(CD.c.day))] == ["2026-03-06"]
    assert WorkCalendar().is_workday(dt.date(2026, 3, 4))


def test_another_offices_decision_notification_and_lists_are_out_of_reach(walls_cli: Cli, database: Database,
                                                                          clock: Clock) -> None:
    cli = walls_cli
    a, b = _two_offices(cli)
    with database.write() as conn:  # a reminder to office A's owner about A's decision
        org_a, owner = conn.execute(select(D.c.org_id, D.c.owner_id).where(D.c.id == int(a))).one()
        alerts.notify_roles(conn, clock(), org_id=org_a, decision_id=int(a), roles=["owner"], owner_id=owner,
                            kind="reminder", key="walls-test", subject="界牌 征求意见即将截止", body="", payload={})
        note = conn.execute(select(N.c.id)).scalar_one()
    for args, said in ((("decisions", "show", a, "--as", "赵外"), "no such decision"),
                       (("decisions", "act", a, "initiate", "--as", "赵外", "--data", "{}"), "no such decision"),
                       (("deadlines", "extend", a, "public_comment_due", "--until", "2026-06-01", "--reason", "x",
                         "--as", "钱外"), "no such decision"),
                       (("notifications", "ack", str(note), "--as", "赵外"), "no such notification")):
        refused = cli(*args, ok=False)
        assert refused.exit_code == 1 and said in refused.output and "界牌" not in refused.output, args
    listed = cli("decisions", "list", "--as", "赵外").output
    assert "外街道旧改" in listed and "界牌" not in listed
    assert "界牌" not in cli("notifications", "list", "--as", "赵外").output
    assert "界牌" in cli("notifications", "list", "--as", "王建国").output
    with database.read() as conn:
        assert conn.execute(select(N.c.acknowledged_at).where(N.c.id == note)).scalar() is None
