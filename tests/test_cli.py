"""The command line: the 界牌新潮塘 decision driven from create to closed, with time moving forward."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.helpers import PASSWORD, Clock
from tests.system import free_port
from workflow.persistence.db import Database
from workflow.persistence.store import E
from workflow.record.keywrap import FAST


class Cli:
    """Runs ``juece`` in-process against the test database and clock."""

    def __init__(self, database: Database, clock: Clock, tmp: Path) -> None:
        self.settings = Settings(instance_dir=tmp / "instance", database_url=database.url,
                                 broker_url="memory://")
        self.clock = clock

    def __call__(self, *args: str, ok: bool = True, input: str | None = None) -> Result:
        result = CliRunner().invoke(main, list(args), obj=Ctx(self.settings, self.clock, kdf=FAST), input=input)
        if ok:
            assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--json").output)

    def act(self, did: str, action: str, actor: str, **data: Any) -> Result:
        """An action, with the actor's own password on stdin (read only when the action is signed)."""
        return self("decisions", "act", did, action, "--as", actor, "--data", json.dumps(data, ensure_ascii=False),
                    "--password-stdin", input=PASSWORD + "\n")


@pytest.fixture()
def bare_cli(database: Database, clock: Clock, tmp_path: Path) -> Cli:
    runner = Cli(database, clock, tmp_path)
    runner("db", "upgrade")
    return runner


@pytest.fixture()
def cli(bare_cli: Cli) -> Cli:
    runner = bare_cli
    for name, role, unit in [("王建国", "owner", "城建办"), ("李明华", "legal_reviewer", "司法所"),
                             ("张晓燕", "legal_adviser", "律师事务所"), ("陈志强", "expert", "宁波大学"),
                             ("刘芳", "expert", "规划院"), ("孙海峰", "chief_executive", "街道办事处"),
                             ("周敏", "secretary", "党政综合办"), ("钱伟", "secretary", "党政综合办"),
                             ("吴霞", "publisher", "党政综合办"), ("郑涛", "executor", "界牌村"),
                             ("冯宁", "evaluator", "第三方评估机构"), ("居民甲", "public", "")]:
        runner("users", "add", name, "--role", role, "--org", "古塘街道", "--unit", unit)
        runner("account", "passwd", name, "--password-stdin", input=PASSWORD + "\n")  # their own: issues their key
    return runner


def test_jiepai_decision_from_create_to_closed(cli: Cli, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "界牌新潮塘未来社区建设",
              "--owner", "王建国", "--flag", "technical", "--flag", "affects_specific_group").output.strip()
    cli.act(did, "initiate", "王建国", owner_unit="城建办", flags=["technical", "affects_specific_group"])
    cli.act(did, "upload_draft", "王建国", content="界牌新潮塘未来社区建设实施方案（征求意见稿）", filename="方案.docx")
    cli.act(did, "start_consultation", "王建国", legal_bases=["《城乡规划法》"])
    cli.act(did, "open_public_comment", "王建国", opens_at="2026-03-03T09:00+08:00",
            closes_at="2026-04-03T17:00+08:00", channels=["政府网站"])
    clock.set("2026-03-10T10:00")
    cli.act(did, "submit_comment", "居民甲", text="建议保留老樟树")
    cli.act(did, "record_group_consultation", "王建国", record="安置户座谈会记录")
    cli.act(did, "submit_expert_opinion", "陈志强", opinion="方案可行")
    cli.act(did, "submit_expert_opinion", "刘芳", opinion="建议分期实施")
    cli.act(did, "waive_task", "王建国", task="risk_assessment", reason="不涉及社会稳定风险，不开展风险评估")
    refused = cli("decisions", "act", did, "submit_legality_review", "--as", "王建国", ok=False)
    assert refused.exit_code == 1 and "consultation_incomplete" in refused.output
    clock.set("2026-04-07T09:30")
    cli.act(did, "record_adoption_report", "王建国", entries={
        "comment:1": {"adoption": "adopted"}, "expert:1": {"adoption": "adopted"},
        "expert:2": {"adoption": "not_adopted", "reason": "项目须整体推进"}})
    cli.act(did, "submit_legality_review", "王建国")
    clock.set("2026-04-13T10:00")
    cli.act(did, "submit_adviser_opinion", "张晓燕", opinion="程序合法")
    cli.act(did, "sign_legality_opinion", "李明华", outcome="lawful", opinion="经审查合法")
    clock.set("2026-05-06T09:00")
    cli.act(did, "record_meeting", "周敏", held_at="2026-05-06T09:00+08:00", attendees=["孙海峰", "钱伟", "周敏"],
            views=[{"member": "钱伟", "view": "against", "remarks": "资金压力大"}, {"member": "周敏", "view": "for"},
                   {"member": "孙海峰", "view": "for"}])
    cli.act(did, "record_decision", "孙海峰", outcome="adopted")
    cli.act(did, "record_party_consent", "周敏", reference="古街党〔2026〕12号")
    clock.set("2026-05-11T09:00")
    cli.act(did, "publish", "吴霞", channels=["政府网站", "微信公众号"], published_on="2026-05-11",
            adoption_explanation="采纳公众意见1条、专家意见1份，未采纳1份并说明理由")
    clock.set("2026-08-10T09:00")
    cli.act(did, "report_progress", "郑涛", report="一期拆迁安置完成", public=True)
    cli.act(did, "start_evaluation", "王建国", evaluation_unit="第三方评估机构")
    cli.act(did, "record_evaluation", "冯宁", outcome="continue", report="实施效果良好")
    clock.set("2026-11-20T09:00")
    cli.act(did, "close", "王建国", note="项目完成")
    shown = cli.json("decisions", "show", did)
    assert shown["state"] == "closed" and shown["terminal"]
    assert [h["action"] for h in shown["history"]][0] == "create"
    signed = [h["action"] for h in shown["history"] if h["signed"]]
    assert signed == ["submit_expert_opinion", "submit_expert_opinion", "submit_adviser_opinion",
                      "sign_legality_opinion", "record_decision"]
    assert all(d["status"] == "closed" for d in shown["deadlines"] if d["key"] != "catalogue_publication")
    assert cli("audit", "verify").output.startswith("ok:")
    assert [r["state"] for r in cli.json("decisions", "list", "--state", "closed")] == ["closed"]


def test_refused_action_prints_code_article_and_both_languages(cli: Cli) -> None:
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "测试", "--owner", "王建国").output.strip()
    result = cli("decisions", "act", did, "record_meeting", "--as", "周敏", ok=False)
    assert result.exit_code == 1
    assert "action_not_allowed" in result.output
    as_json = cli("decisions", "act", did, "initiate", "--as", "李明华", "--json", ok=False)
    assert as_json.exit_code == 1
    assert json.loads(as_json.output)["error"]["code"] == "role_not_permitted"


def test_bad_json_and_unknown_fields_are_clear_errors(cli: Cli) -> None:
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "测试", "--owner", "王建国").output.strip()
    bad = cli("decisions", "act", did, "initiate", "--as", "王建国", "--data", "{oops", ok=False)
    assert bad.exit_code == 2 and "--data" in bad.output and "Traceback" not in bad.output  # a usage error
    unknown = cli("decisions", "act", did, "initiate", "--as", "王建国", "--data", '{"owner_unit": "x", "colour": 1}',
                  ok=False)
    assert unknown.exit_code == 1 and "colour" in unknown.output


def test_stale_version_names_who_acted_first(cli: Cli) -> None:
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "测试", "--owner", "王建国").output.strip()
    cli("decisions", "act", did, "initiate", "--as", "王建国", "--data", '{"owner_unit": "城建办"}',
        "--expect-version", "1")
    stale = cli("decisions", "act", did, "decline", "--as", "孙海峰", "--data", '{"reason": "x"}',
                "--expect-version", "1", "--json", ok=False)
    error = json.loads(stale.output)["error"]
    assert error["code"] == "stale_version"
    assert error["details"]["by"] == "王建国" and error["details"]["action"] == "initiate"


def test_demo_loads_the_gutang_decision(bare_cli: Cli) -> None:
    # On its own database: the demo people sign with the demo password, which must be their own.
    cli = bare_cli
    assert "界牌新潮塘未来社区建设" in cli("demo").output
    listed = cli.json("decisions", "list")
    jiepai = [d for d in listed if d["title"] == "界牌新潮塘未来社区建设"]
    assert jiepai and not jiepai[-1]["terminal"]
    cli("demo")  # loading twice keeps one copy
    assert len([d for d in cli.json("decisions", "list") if d["title"] == "界牌新潮塘未来社区建设"]) == len(jiepai)
    assert cli("audit", "verify").exit_code == 0


def test_procedures_list_json(cli: Cli) -> None:
    ids = {(p["id"], p["version"]) for p in cli.json("procedures", "list")}
    assert {("cn-713", "2019-09-01"), ("contract-review", "2021-05-01")} <= ids


def test_a_document_from_a_local_file(cli: Cli, tmp_path: Path) -> None:
    draft = tmp_path / "草案.txt"
    draft.write_bytes("界牌新潮塘未来社区建设实施方案".encode())
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "测试", "--owner", "王建国").output.strip()
    cli.act(did, "initiate", "王建国", owner_unit="城建办")
    cli("decisions", "act", did, "upload_draft", "--as", "王建国", "--data", json.dumps({"content": {"path": str(draft)}}))
    document = cli.json("decisions", "show", did)["documents"][0]
    assert document["filename"] == "草案.txt"
    import hashlib

    assert document["sha256"] == hashlib.sha256(draft.read_bytes()).hexdigest()


def test_backfill_and_correction_from_the_command_line(cli: Cli, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "古塘河整治", "--owner", "王建国").output.strip()
    cli.act(did, "initiate", "王建国", owner_unit="城建办")
    cli.act(did, "upload_draft", "王建国", content="草案")
    cli.act(did, "start_consultation", "王建国", legal_bases=["《水法》"])
    clock.set("2026-05-02T09:00")
    window = json.dumps({"opens_at": "2026-03-10T09:00+08:00", "closes_at": "2026-04-15T00:00+08:00"})
    refused = cli("decisions", "act", did, "open_public_comment", "--as", "王建国", "--data", window, ok=False)
    assert refused.exit_code == 1 and "window_starts_before_entry" in refused.output
    requested = cli.json("decisions", "backfill", did, "open_public_comment", "--as", "王建国", "--data", window,
                         "--occurred-at", "2026-03-10T09:00+08:00", "--reason", "系统上线前已公开征求意见")
    pending = cli.json("decisions", "backfills", did)
    assert [p["seq"] for p in pending] == [requested["request"]]
    cli("decisions", "confirm-backfill", did, str(requested["request"]), "--as", "孙海峰")
    shown = cli("decisions", "show", did).output
    assert "补录 back-entry" in shown and "孙海峰 确认" in shown
    fixed = cli.json("decisions", "correct", did, "open_public_comment", "--as", "王建国", "--reason", "更正截止时间",
                     "--data", json.dumps({"opens_at": "2026-03-10T09:00+08:00",
                                           "closes_at": "2026-04-16T00:00+08:00"}))
    assert fixed["ok"] and fixed["state"] == "consultation"
    assert "更正 correction → 第2版" in cli("decisions", "show", did).output
    stale = cli("decisions", "correct", did, "open_public_comment", "--as", "王建国", "--reason", "再改",
                "--of-version", "1", "--data", window, ok=False)
    assert stale.exit_code == 1 and "correction_of_superseded_version" in stale.output
    assert cli("audit", "verify", did).exit_code == 0


def test_art3_catalogue_publish_from_the_command_line(cli: Cli, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "测试", "--owner", "王建国").output.strip()
    cli.act(did, "initiate", "王建国", owner_unit="城建办")
    assert "catalogue_publication" in {d["key"] for d in cli.json("deadlines", "list")}
    clock.set("2026-03-20T10:00")
    publish = ("catalogue", "publish", "2026", "--reference", "古街办〔2026〕5号", "--party-consent", "古街党〔2026〕3号",
               "--channel", "慈溪市人民政府网站")
    refused = cli(*publish, "--as", "王建国", "--json", ok=False)
    assert refused.exit_code == 1 and json.loads(refused.output)["error"]["code"] == "role_not_permitted"
    assert cli(*publish, "--as", "周敏").output.strip() == "catalogue 2026 published on 2026-03-20: 古街办〔2026〕5号"
    assert "catalogue_publication" not in {d["key"] for d in cli.json("deadlines", "list")}
    again = cli.json(*publish, "--as", "孙海峰", "--on", "2026-03-19")
    assert (again["revision"], again["by"], again["published_on"]) == (2, "孙海峰", "2026-03-19")
    assert cli("audit", "verify").output.startswith("ok:")


def test_show_and_list_as_a_citizen_give_the_public_view(cli: Cli, clock: Clock) -> None:
    clock.set("2026-03-02T09:00")
    internal, public = (cli("decisions", "create", "--procedure", "cn-713", "--title", title, "--owner", "王建国")
                        .output.strip() for title in ("内部事项", "界牌新潮塘未来社区建设"))
    contract = cli("decisions", "create", "--procedure", "contract-review", "--title", "施工合同",
                   "--owner", "王建国").output.strip()
    for did in (internal, public):
        cli.act(did, "initiate", "王建国", owner_unit="城建办")
        cli.act(did, "upload_draft", "王建国", content="草案", filename="草案.docx")
        cli.act(did, "start_consultation", "王建国", legal_bases=["《城乡规划法》"])
    cli.act(public, "open_public_comment", "王建国", opens_at="2026-03-02T10:00:00+08:00",
            closes_at="2026-04-03T10:00:00+08:00")
    clock.set("2026-03-02T11:00")
    cli.act(public, "submit_comment", "居民甲", text="请保留老街")
    assert [d["id"] for d in cli.json("decisions", "list", "--as", "居民甲")] == [int(public)]
    assert {d["id"] for d in cli.json("decisions", "list", "--as", "王建国")} == {int(internal), int(public),
                                                                               int(contract)}
    for hidden in (internal, contract):
        refused = cli("decisions", "show", hidden, "--as", "居民甲", "--json", ok=False)
        assert refused.exit_code == 1 and json.loads(refused.output)["error"]["code"] == "not_found"
    shown = cli.json("decisions", "show", public, "--as", "居民甲")
    assert "history" not in shown and "deadlines" not in shown and "owner" not in shown
    assert [c["text"] for c in shown["my_comments"]] == ["请保留老街"] and shown["documents"][0]["kind"] == "draft"
    assert "王建国" not in cli("decisions", "show", public, "--as", "居民甲").output


def _to_legality_review(cli: Cli, clock: Clock) -> str:
    clock.set("2026-03-02T09:00")
    did = cli("decisions", "create", "--procedure", "cn-713", "--title", "古塘河整治", "--owner", "王建国").output.strip()
    cli.act(did, "initiate", "王建国", owner_unit="城建办")
    cli.act(did, "upload_draft", "王建国", content="草案")
    cli.act(did, "start_consultation", "王建国", legal_bases=["《水法》"])
    cli.act(did, "open_public_comment", "王建国", opens_at="2026-03-02T10:00+08:00", closes_at="2026-04-03T17:00+08:00")
    clock.set("2026-03-10T10:00")
    cli.act(did, "submit_comment", "居民甲", text="赞成")
    clock.set("2026-04-07T09:30")
    cli.act(did, "record_adoption_report", "王建国", entries={"comment:1": {"adoption": "adopted"}})
    cli.act(did, "submit_legality_review", "王建国")
    cli.act(did, "submit_adviser_opinion", "张晓燕", opinion="程序合法")
    return did


def test_signing_from_the_command_line_needs_the_signers_own_password(cli: Cli, clock: Clock) -> None:
    did = _to_legality_review(cli, clock)
    opinion = json.dumps({"outcome": "lawful", "opinion": "经审查合法"}, ensure_ascii=False)
    sign = ("decisions", "act", did, "sign_legality_opinion", "--as", "李明华", "--data", opinion)
    # Not interactive and no --password-stdin: nothing to sign with (the server holds no usable key).
    assert "signing_password_required" in cli(*sign, ok=False).output
    assert "signing_password_wrong" in cli(*sign, "--password-stdin", input="guessed-password\n", ok=False).output
    # An administrator's reset retires her key: the temporary password signs her in, but signs nothing.
    cli("users", "passwd", "李明华", "--password-stdin", input="temporary-by-admin\n")
    assert "no_signing_key" in cli(*sign, "--password-stdin", input="temporary-by-admin\n", ok=False).output
    cli("account", "passwd", "李明华", "--password-stdin", input="temporary-by-admin\nher-own-password\n")
    cli(*sign, "--password-stdin", input="her-own-password\n")
    keys = cli.json("keys", "list", "李明华")
    assert [k["usable"] for k in keys] == [True, False] and "password reset" in keys[1]["retired_reason"]
    assert cli("audit", "verify").output.startswith("ok:")


def test_a_deputy_from_the_command_line(cli: Cli, clock: Clock) -> None:
    did = _to_legality_review(cli, clock)
    grant = cli("deputies", "grant", "--as", "孙海峰", "--principal", "李明华", "--deputy", "周敏",
                "--role", "legal_reviewer", "--until", "2026-04-10T18:00+08:00", "--reason", "审查员休假",
                "--password-stdin", input=PASSWORD + "\n").output.strip()
    listed = cli("deputies", "list", "--as", "王建国").output
    assert "周敏 代 李明华" in listed and "✍" in listed
    cli("decisions", "act", did, "sign_legality_opinion", "--as", "周敏", "--grant", grant, "--data",
        json.dumps({"outcome": "lawful", "opinion": "经审查合法"}, ensure_ascii=False), "--password-stdin",
        input=PASSWORD + "\n")
    assert "代 李明华，授权 #" in cli("decisions", "show", did).output
    clock.set("2026-04-11T09:00")
    assert cli("deputies", "expire").output.startswith("1 ")
    late = cli("decisions", "act", did, "return_materials", "--as", "周敏", "--grant", grant, "--data",
               '{"reason": "补正"}', ok=False)
    assert "deputy_grant_expired" in late.output
    assert cli("audit", "verify").output.startswith("ok:")


def test_wrong_signing_passwords_lock_the_signer_and_deactivation(cli: Cli, clock: Clock, database: Database) -> None:
    did = _to_legality_review(cli, clock)
    opinion = json.dumps({"outcome": "lawful", "opinion": "经审查合法"}, ensure_ascii=False)
    sign = ("decisions", "act", did, "sign_legality_opinion", "--as", "李明华", "--data", opinion, "--password-stdin")
    for _ in range(5):
        assert "signing_password_wrong" in cli(*sign, input="guessed-password\n", ok=False).output
    # Locked: her right password signs nothing until the window has passed (the pages' sign-in is locked too).
    assert "locked_out" in cli(*sign, input=PASSWORD + "\n", ok=False).output
    clock.advance(minutes=16)
    cli(*sign, input=PASSWORD + "\n")
    assert cli("users", "deactivate", "周敏", "--reason", "调离").output.startswith("deactivated 周敏")
    assert cli("users", "reactivate", "周敏").output.startswith("reactivated 周敏")
    assert cli("users", "roles", "周敏", "--role", "secretary", "--role", "publisher").exit_code == 0
    with database.read() as conn:
        actions = list(conn.execute(select(E.c.action).where(E.c.stream == "system").order_by(E.c.seq)).scalars())
    assert actions[-3:] == ["user_deactivated", "user_reactivated", "user_roles_changed"]
    assert cli("audit", "verify").output.startswith("ok:")


def test_an_unreachable_database_exits_75_saying_so(tmp_path: Path, clock: Clock) -> None:
    settings = Settings(instance_dir=tmp_path / "instance", broker_url="memory://",
                        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone")
    result = CliRunner().invoke(main, ["decisions", "list"], obj=Ctx(settings, clock, kdf=FAST))
    assert result.exit_code == 75 and "database_unavailable" in result.output and "数据库暂时无法访问" in result.output
    as_json = CliRunner().invoke(main, ["decisions", "list", "--json"], obj=Ctx(settings, clock, kdf=FAST))
    assert as_json.exit_code == 75 and json.loads(as_json.output)["error"]["code"] == "database_unavailable"
