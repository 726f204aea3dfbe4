"""Approvals on the command line: ``decisions act … withdraw`` by the owner files a request; ``decisions
approvals`` lists it; ``decisions approve`` (the chief's password) applies it; ``decline-approval`` does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import PASSWORD, Clock
from tests.test_cli import Cli
from workflow.persistence.db import Database


@pytest.fixture()
def office(database: Database, clock: Clock, tmp_path: Path) -> Cli:
    """``juece`` with 古塘街道's owner and chief executive, each with their own password (and key)."""
    runner = Cli(database, clock, tmp_path)
    runner("db", "upgrade")
    for name, role in [("王建国", "owner"), ("孙海峰", "chief_executive")]:
        runner("users", "add", name, "--role", role, "--org", "古塘街道", "--unit", "城建办")
        runner("account", "passwd", name, "--password-stdin", input=PASSWORD + "\n")
    return runner


def _consulting(cli: Cli) -> str:
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "界牌", "--owner", "王建国").output.strip()
    cli.act(did, "initiate", "王建国", owner_unit="城建办", flags=[])
    cli.act(did, "upload_draft", "王建国", content="草案", filename="草案.txt")
    cli.act(did, "start_consultation", "王建国", legal_bases=["《城乡规划法》"])
    return did


def test_request_then_approval_on_the_command_line(office: Cli) -> None:
    cli = office
    did = _consulting(cli)
    cli("users", "add", "钱外", "--role", "chief_executive", "--org", "外街道")
    cli("account", "passwd", "钱外", "--password-stdin", input=PASSWORD + "\n")
    requested = cli.act(did, "withdraw", "王建国", reason="上级政策调整")
    assert "待批准人签名确认" in requested.output
    pending = cli.json("decisions", "approvals", did)
    assert [(r["action"], r["requested_by"]) for r in pending] == [("withdraw", "王建国")]
    seq = str(pending[0]["seq"])
    approve = ("decisions", "approve", did, seq, "--password-stdin")
    assert "not_found" in cli(*approve, "--as", "钱外", input=PASSWORD + "\n", ok=False).output  # another office
    assert "role_not_permitted" in cli(*approve, "--as", "王建国", input=PASSWORD + "\n", ok=False).output
    assert "signing_password_wrong" in cli(*approve, "--as", "孙海峰", input="guess\n", ok=False).output
    assert cli.json("decisions", "show", did)["state"] == "consultation"
    done = cli(*approve, "--as", "孙海峰", input=PASSWORD + "\n")
    assert "terminated" in done.output
    shown = cli("decisions", "show", did).output
    assert "王建国 申请" in shown and "孙海峰 签名批准" in shown
    assert cli("audit", "verify", did).exit_code == 0


def test_decline_and_the_chiefs_direct_withdrawal_on_the_command_line(office: Cli) -> None:
    cli = office
    did = _consulting(cli)
    cli.act(did, "withdraw", "王建国", reason="上级政策调整")
    seq = str(cli.json("decisions", "approvals", did)[0]["seq"])
    cli("decisions", "decline-approval", did, seq, "--as", "孙海峰", "--reason", "仍需推进")
    assert cli.json("decisions", "show", did)["state"] == "consultation"
    assert cli.json("decisions", "approvals", did) == []
    assert "terminated" in cli.act(did, "withdraw", "孙海峰", reason="政策调整").output  # signed: password on stdin


def test_only_the_chief_extends_a_deadline_and_signs_it(office: Cli, clock: Clock) -> None:
    cli = office
    clock.set("2026-03-02T09:00")
    cli("users", "add", "管理员", "--role", "admin", "--org", "古塘街道")
    did = _consulting(cli)
    cli.act(did, "open_public_comment", "王建国", opens_at="2026-03-03T09:00+08:00",
            closes_at="2026-04-03T17:00+08:00")
    extend = ("deadlines", "extend", did, "public_comment_close", "--until", "2026-04-20", "--reason", "延长")
    assert "role_not_permitted" in cli(*extend, "--as", "管理员", "--password-stdin", input="x\n", ok=False).output
    assert "deadline_extended" in cli(*extend, "--as", "孙海峰", "--password-stdin", input=PASSWORD + "\n").output
    assert cli("audit", "verify", did).exit_code == 0
