"""A pack written here from scratch runs through the REST API and the command line with no change outside its
folder (juece issue 8): three steps, one guard with its own rule text and article, one deadline, its own labels.

The folder is handed to juece the way an office does it, as the extra procedures folder (``Settings.procedures_dir``,
``JUECE_PROCEDURES_DIR``); the browser half is ``tests/web/test_pack_from_scratch_browser.py``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from api.web.present import window_rules
from cli.common import Ctx
from cli.main import main
from config.settings import Settings
from tests.api.conftest import Api, problem
from tests.api.conftest import make_app as make_api_app
from tests.helpers import PASSWORD, PEOPLE, Clock
from workflow.admin import offices as admin
from workflow.engine.catalog import default_catalog
from workflow.engine.context import Office
from workflow.persistence.db import Database
from workflow.record import keys
from workflow.record.keywrap import FAST
from workflow.service import Juece
from workflow.views.visibility import public_procedures, publicly_visible

PACK = "village_rules_2026_01_01"
ARTICLE = "《村规民约审查办法》第七条"
RULE_ZH = "送审前应当上传村规民约文本"
FILES = {
    "__init__.py": '"""村规民约合法性审查: a three-step review written by a test; nothing outside this folder knows it."""\n',
    "procedure.yaml": f"""\
id: village-rules
version: "2026-01-01"
effective_from: 2026-01-01
title: {{zh: 村规民约合法性审查, en: Legality review of village rules}}
legal_basis: 《村规民约审查办法》
nouns:
  item: {{zh: 审查事项, en: review}}
  draft: {{zh: 村规民约文本, en: village rules text}}
initial: drafting
states:
  drafting: {{zh: 起草文本, en: Drafting}}
  in_review: {{zh: 合法性审查中, en: Under review}}
  approved: {{zh: 审查通过, en: Approved, terminal: true}}
actions:
  put_text:
    zh: 上传村规民约文本
    en: Upload the village rules
    roles: [owner]
    from: [drafting]
    effect: vr_keep_text
    marks: [draft]
    fields:
      content: {{type: document, required: true, zh: 村规民约文本, en: Village rules}}
      filename: {{type: text, zh: 文件名, en: File name}}
  send_for_review:
    zh: 送交审查
    en: Send for review
    roles: [owner]
    from: [drafting]
    to: in_review
    guards: [vr_text_present]
  approve:
    zh: 出具审查通过意见
    en: Approve
    roles: [legal_reviewer]
    from: [in_review]
    to: approved
    effect: vr_approved
    signed: true
    fields:
      opinion: {{type: document, required: true, zh: 审查意见, en: Opinion}}
deadlines:
  village_review_due:
    zh: 村规民约审查期限
    en: Village rules review due
    article: {ARTICLE}
    rule: {{kind: working_days, days: 5}}
    starts_on: [send_for_review]
    closes_on: [approve]
    recipients: [legal_reviewer]
    reminders: [{{working_days_before: 1}}]
""",
    "rules.py": ('"""The refusal of this pack, with its article."""\n\n'
                 'from workflow.engine.errors import Rule\n\n'
                 f'TEXT_REQUIRED = Rule("vr_text_required", "{ARTICLE}", "{RULE_ZH}",\n'
                 '                      "Upload the village rules before sending them for review")\n'),
    "guards.py": ('"""The guard of this pack."""\n\n'
                  'from workflow.engine.context import Attempt\nfrom workflow.engine.errors import RuleViolation\n\n'
                  f'from {PACK} import rules\n\n\n'
                  'def vr_text_present(a: Attempt) -> RuleViolation | None:\n'
                  '    """The text must be on record before it goes to review."""\n'
                  '    return None if a.facts.get("draft") else RuleViolation.of(rules.TEXT_REQUIRED)\n'),
    "effects.py": ('"""The folds of this pack."""\n\n'
                   'from typing import Any\n\n\n'
                   'def vr_keep_text(facts: dict[str, Any], ev: Any, procedure: Any) -> None:\n'
                   '    """A new version of the text."""\n'
                   '    previous = (facts.get("draft") or {}).get("version", 0)\n'
                   '    facts["draft"] = {"version": previous + 1, "hash": ev["data"]["content"]}\n\n\n'
                   'def vr_approved(facts: dict[str, Any], ev: Any, procedure: Any) -> None:\n'
                   '    """The approval names the text it approved."""\n'
                   '    facts["approved"] = {"draft_version": facts["draft"]["version"]}\n'),
}


def write_pack(root: Path) -> Path:
    """The extra procedures folder holding the new pack, written file by file."""
    folder = root / "procedures" / PACK
    folder.mkdir(parents=True)
    for name, text in FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder.parent


def pack_core(database: Database, clock: Clock, procedures: Path) -> Juece:
    """The core an office with the extra folder runs (the same catalogue ``open_core`` builds from the settings)."""
    database.upgrade()
    core = Juece(database, default_catalog(procedures), b"test-secret", clock, kdf=FAST)
    for name, roles, unit, org in PEOPLE:
        admin.add_user(core, name, roles, org, unit=unit)
        keys.change_password(core, name, PASSWORD)
    return core


@pytest.fixture()
def procedures(tmp_path: Path) -> Path:
    """The office's extra procedures folder with the pack written from scratch."""
    return write_pack(tmp_path)


@pytest.fixture()
def core(database: Database, clock: Clock, procedures: Path) -> Juece:
    """The application core of an office whose juece has the extra folder."""
    return pack_core(database, clock, procedures)


@pytest.fixture()
def app(core: Juece, tmp_path: Path, procedures: Path) -> Flask:
    """The application of that office."""
    admin.add_user(core, "admin1", ["admin"], "古塘街道")
    return make_api_app(core, tmp_path)


def test_the_new_pack_runs_through_the_api(app: Flask, core: Juece, clock: Clock) -> None:
    api = Api(core, app)
    created = api.post("decisions", json={"procedure": "village-rules", "title": "界牌村村规民约"})
    assert created.status_code == 201, created.get_json()
    did = int(created.get_json()["id"])
    refused = problem(api.act(did, "send_for_review"), 422, "vr_text_required")
    assert refused["article"] == ARTICLE and refused["message_zh"] == RULE_ZH
    sha = api.post("documents", data="村规民约（草稿）".encode(), content_type="text/plain").get_json()["sha256"]
    assert api.act(did, "put_text", data={"content": {"sha256": sha}, "filename": "村规民约.docx"}).status_code == 200
    sent = api.act(did, "send_for_review")
    assert sent.status_code == 200 and sent.get_json()["state"] == "in_review"
    answer = api.get(f"decisions/{did}").get_json()
    due = [d for d in answer["deadlines"] if d["key"] == "village_review_due" and d["status"] == "open"]
    assert due and due[0]["article"] == ARTICLE
    clock.advance(days=1)
    signed = api.act(did, "approve", "reviewer", {"opinion": "经审查，未发现违法内容。"},
                     headers={"Juece-Signing-Password": PASSWORD})
    assert signed.status_code == 200, signed.get_json()
    answer = api.get(f"decisions/{did}").get_json()
    assert answer["state"] == "approved" and answer["facts"]["approved"] == {"draft_version": 1}
    assert [h["action"] for h in answer["history"]] == ["create", "put_text", "send_for_review", "approve"]
    verified = api.get(f"decisions/{did}/audit/verify").get_json()
    assert verified["ok"] and verified["decisions"] == 1


class Cli:
    """``juece`` in-process, with the office's settings naming the extra folder."""

    def __init__(self, database: Database, clock: Clock, tmp: Path, procedures: Path) -> None:
        self.settings = Settings(instance_dir=tmp / "instance", database_url=database.url, broker_url="memory://",
                                 procedures_dir=procedures)
        self.clock = clock

    def __call__(self, *args: str, ok: bool = True, input: str | None = None) -> Result:
        result = CliRunner().invoke(main, list(args), obj=Ctx(self.settings, self.clock, kdf=FAST), input=input)
        if ok:
            assert result.exit_code == 0, f"{args}: {result.output}"
        return result

    def act(self, did: str, action: str, actor: str, ok: bool = True, **data: Any) -> Result:
        """An action, with the actor's own password on stdin (read only when the action is signed)."""
        return self("decisions", "act", did, action, "--as", actor, "--data", json.dumps(data, ensure_ascii=False),
                    "--password-stdin", ok=ok, input=PASSWORD + "\n")


def test_the_new_pack_runs_through_the_command_line(core: Juece, database: Database, clock: Clock, tmp_path: Path,
                                                     procedures: Path) -> None:
    cli = Cli(database, clock, tmp_path, procedures)
    created = cli("decisions", "create", "--procedure", "village-rules", "--title", "界牌村村规民约", "--owner", "owner",
                  "--json")
    did = str(json.loads(created.output)["id"])
    refused = cli.act(did, "send_for_review", "owner", ok=False)
    assert refused.exit_code != 0 and RULE_ZH in refused.output and ARTICLE in refused.output
    text = tmp_path / "村规民约.txt"
    text.write_text("村规民约（草稿）", encoding="utf-8")
    cli.act(did, "put_text", "owner", content={"path": str(text)}, filename="村规民约.txt")
    cli.act(did, "send_for_review", "owner")
    shown = cli("decisions", "show", did).output
    assert "合法性审查中" in shown and "village_review_due" in shown and ARTICLE in shown
    clock.advance(days=1)
    cli.act(did, "approve", "reviewer", opinion="经审查，未发现违法内容。")
    shown = json.loads(cli("decisions", "show", did, "--json").output)
    assert shown["state"] == "approved" and shown["verification"]["ok"]
    assert "ok" in cli("audit", "verify").output.lower()


def test_an_extra_folder_pack_may_have_a_public_side(procedures: Path, clock: Clock) -> None:
    # Which procedures have a public side is read from the catalogue in use, not the shipped one.
    catalog = default_catalog(procedures)
    assert "village-rules" not in public_procedures(catalog)  # it marks no action that shows the draft
    yaml = procedures / PACK / "procedure.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace(
        "    guards: [vr_text_present]\n", "    guards: [vr_text_present]\n    marks: [public_notice]\n"), encoding="utf-8")
    public = default_catalog(procedures)
    assert "village-rules" in public_procedures(public)
    published = {"publication": {"published_on": "2026-03-01"}}
    assert publicly_visible("village-rules", published, clock.now, public)
    assert not publicly_visible("village-rules", published, clock.now)  # the shipped catalogue does not know it


def test_the_comment_window_warning_comes_from_the_guard_that_enforces_it(procedures: Path) -> None:
    # The page's early warning takes its days and article from the rule the pack's guard declares.
    catalog = default_catalog(procedures)
    decree = catalog.current("cn-713", dt.date(2026, 3, 2))
    assert window_rules(decree, Office(1, "古塘街道")) == {
        "open_public_comment": {"min_days": 30, "article": "Art. 15", "code": "comment_window_too_short"}}
    normative = catalog.current("normative-document", dt.date(2026, 3, 2))
    (opening,) = normative.marked("comment_window")
    shorter = window_rules(normative, Office(1, "古塘街道", {"nd_comment_days": 10}))[opening]
    assert shorter["min_days"] == 10 and shorter["code"] == "nd_comment_window_too_short"
    assert window_rules(catalog.get("village-rules@2026-01-01"), Office(1, "古塘街道")) == {}


def test_a_matter_is_named_in_its_procedures_nouns(procedures: Path) -> None:
    catalog = default_catalog(procedures)
    decree = catalog.current("cn-713", dt.date(2026, 3, 2))
    assert (decree.nouns.item.zh, decree.nouns.draft.zh, decree.nouns.opinion.zh) == ("决策事项", "草案", "合法性审查意见")
    village = catalog.get("village-rules@2026-01-01").nouns
    assert (village.item.zh, village.draft.en) == ("审查事项", "village rules text")
    assert village.opinion.zh == "审查意见"  # not stated: the generic word
