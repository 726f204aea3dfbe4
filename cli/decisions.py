"""``juece decisions …`` and ``juece deadlines …``."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

import click

from cli.common import Ctx, emit, json_option, pass_ctx
from cli.signing import password_stdin_option, read_password, signed_action
from workflow.admin import people
from workflow.engine.errors import InvalidInput
from workflow.engine.fields import display
from workflow.record.audit import DAMAGED, Report, damage_report, verify_decision
from workflow.views.visibility import Viewer


def _bad_data(zh: str, en: str) -> click.BadParameter:
    """A usage error of --data (exit status 2), in English and Chinese."""
    return click.BadParameter(f"{en} / {zh}", param_hint="'--data'")


def _parse_data(raw: str | None) -> dict[str, Any]:
    """--data as a JSON object (inline or @FILE), with {"path": …} documents read; a usage error otherwise."""
    if not raw:
        return {}
    text = raw
    if raw.startswith("@"):
        source = Path(raw[1:])
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise _bad_data(f"无法读取文件 {source}", f"cannot read {source}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise _bad_data(f"文件 {source} 不是 UTF-8 文本", f"{source} is not UTF-8 text") from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_data(f"不是有效的 JSON：{exc.msg}（第{exc.lineno}行第{exc.colno}列）",
                        f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from exc
    except RecursionError as exc:
        raise _bad_data("JSON 嵌套过深", "JSON nested too deeply to read") from exc
    if not isinstance(value, dict):
        raise _bad_data("应为 JSON 对象", "must be a JSON object")
    for name, item in list(value.items()):
        if isinstance(item, dict) and set(item) == {"path"}:  # a document from this machine's files
            path = Path(str(item["path"]))
            try:
                value[name] = path.read_bytes()
            except OSError as exc:
                raise _bad_data(f"{name}：无法读取文件 {path}", f"{name}: cannot read {path}: {exc.strerror}") from exc
            if name == "content" and not value.get("filename"):
                value["filename"] = path.name
    return value


@click.group()
def decisions() -> None:
    """Major decisions (重大行政决策) and contract reviews."""


@decisions.command("create")
@click.option("--procedure", "procedure_id", required=True, help="e.g. cn-713 or contract-review")
@click.option("--title", required=True)
@click.option("--owner", required=True, help="the owner (承办人) user name")
@click.option("--flag", "flags", multiple=True, help="repeat for several flags")
@click.option("--link", "linked_from", type=int, help="the decision this one implements or changes")
@json_option
@pass_ctx
def create(c: Ctx, procedure_id: str, title: str, owner: str, flags: tuple[str, ...], linked_from: int | None,
           as_json: bool) -> None:
    """Create a decision; prints its id."""
    decision_id = c.core.create_decision(procedure_id, title, owner, list(flags), linked_from)
    if as_json:
        emit({"id": decision_id})
    else:
        click.echo(decision_id)


@decisions.command("act")
@click.argument("decision_id", type=int)
@click.argument("action")
@click.option("--as", "actor", required=True, help="the user taking the action")
@click.option("--data", "data", help="JSON object, or @FILE")
@click.option("--expect-version", type=click.IntRange(min=1),
              help="refuse if the decision changed since this version")
@click.option("--grant", type=click.IntRange(min=1), help="act as a deputy under this grant (代理), in your own name")
@password_stdin_option
@json_option
@pass_ctx
def act(c: Ctx, decision_id: int, action: str, actor: str, data: str | None, expect_version: int | None,
        grant: int | None, password_stdin: bool, as_json: bool) -> None:
    """Take ACTION on a decision as a user (a signed action asks for the actor's own password)."""
    signed = signed_action(c, decision_id, action, actor, deputy=grant is not None)
    password = read_password(password_stdin) if signed else None
    result = c.core.act(decision_id, action, actor, _parse_data(data), expect_version, password=password,
                        grant=grant)
    if as_json:
        emit({"ok": True, "decision": result.decision_id, "action": result.action, "from": result.from_state,
              "state": result.state, "version": result.version, "hash": result.hash,
              "linked_decision": result.linked_decision, "approval_request": result.request})
        return
    if result.request is not None:
        click.echo(f"{result.decision_id} {result.action}: 已提交申请 {result.request}，待批准人签名确认 / "
                   f"request {result.request} awaits approval (version {result.version})")
        return
    moved = f"{result.from_state} → {result.state}" if result.from_state != result.state else result.state
    click.echo(f"{result.decision_id} {result.action}: {moved} (version {result.version})")
    if result.linked_decision:
        click.echo(f"new linked decision {result.linked_decision} (Art. 37)")


def _viewer(c: Ctx, name: str | None) -> Viewer | None:
    if name is None:
        return None

    with c.core.db.read() as conn:
        row = people.find_person(conn, name)
    if row is None:
        raise InvalidInput(f"没有这个用户：{name}", f"no such user: {name}", details={"field": "as"})
    return Viewer(int(row.id), int(row.org_id), frozenset(row.roles))


def _show_public(c: Ctx, decision_id: int, viewer: Viewer, as_json: bool) -> None:
    from workflow.views.visibility import public_decision

    with c.core.db.read() as conn:
        info = public_decision(conn, c.core.catalog, decision_id, viewer, c.core.clock())
    if as_json:
        emit(asdict(info))
        return
    click.echo(f"#{info.id} {info.title}  [{info.procedure}]  {info.office}")
    click.echo(f"环节 state: {info.state_label.zh} ({info.state})")
    if info.comment_window:
        w = info.comment_window
        click.echo(f"  征求意见 comment: {w['opens_at']} – {w['closes_at']}{' (open)' if info.comment_open else ''}")
    if info.hearing:
        click.echo(f"  听证 hearing: {info.hearing['hearing_at']} {info.hearing['place']}")
    if info.publication:
        click.echo(f"  公布 published: {info.publication['published_on']}")
    for doc in info.documents:
        click.echo(f"  文档 {doc.kind} v{doc.version} {doc.sha256[:16]} {doc.filename}")
    for comment in info.my_comments:
        click.echo(f"  我的意见 {comment.id} {comment.submitted_at}: {comment.text}")


@decisions.command("show")
@click.argument("decision_id", type=int)
@click.option("--as", "viewer", help="show it as this user sees it (their office; a citizen: the public view)")
@json_option
@pass_ctx
def show(c: Ctx, decision_id: int, viewer: str | None, as_json: bool) -> None:
    """Show a decision: state, tasks, deadlines, documents, history."""
    from workflow.views.decision import show_decision

    who = _viewer(c, viewer)
    if who is not None and who.public:  # what the public may see, as on the pages and the API
        _show_public(c, decision_id, who, as_json)
        return
    with c.core.db.read() as conn:
        try:
            info = show_decision(conn, c.core.catalog, decision_id, c.core.clock(), who.org_id if who else None)
        except DAMAGED:
            damage = damage_report(conn, c.core.catalog, decision_id, who.org_id if who else None)
            if damage is None:
                raise
            _broken(damage, as_json, f"记录已损坏，无法显示 / the record of decision {decision_id} is damaged and "
                                     "cannot be shown")
        report = verify_decision(conn, c.core.catalog, decision_id)
    if as_json:
        emit(info | {"verification": report.as_dict()})
        sys.exit(0 if report.ok else 1)
    click.echo(f"#{info['id']} {info['title']}  [{info['procedure']}]  {info['office']}  承办：{info['owner']}")
    click.echo(f"环节 state: {info['state_zh']} ({info['state']})  version {info['version']}")
    if info["flags"]:
        click.echo("属性 flags: " + ", ".join(info["flags"]))
    for task, status in info["tasks"].items():
        if status["status"] != "not_required":
            click.echo(f"  任务 {task}: {status['status']}{' (required)' if status['required'] else ''}"
                       f"{' — ' + status['reason'] if status['reason'] else ''}")
    for d in info["deadlines"]:
        if d["status"] == "open":
            click.echo(f"  期限 {d['key']} {d['kind']} {d['fire_at']} (due {d['due_at']}, {d['article']})")
        elif d["status"] == "awaiting":
            click.echo(f"  期限 {d['key']} {d['kind']} 待导入{d['awaiting_year']}年日历 / awaiting the "
                       f"{d['awaiting_year']} calendar ({d['article']})")
    stall = c.core.catalog.get(info["procedure"]).deadlines.get("stall")
    stall_article = stall.article if stall is not None else ""  # the procedure's own article, not Decree 713's
    if info["stall_awaiting_year"]:
        year = info["stall_awaiting_year"]
        click.echo(f"  期限 stall due 待导入{year}年日历 / awaiting the {year} calendar ({stall_article})")
    elif info["stall_due_at"]:
        click.echo(f"  期限 stall due {info['stall_due_at']} ({stall_article})")
    for doc in info["documents"]:
        click.echo(f"  文档 {doc['kind']} v{doc['version']} {doc['sha256'][:16]} {doc['filename']}")
    for e in info["history"]:
        sign = " ✍" if e["signed"] else ""
        mark = f"  [代 {e['deputy']['for']['name']}，授权 #{e['deputy']['grant']}]" if e.get("deputy") else ""
        if e.get("backfill"):
            b = e["backfill"]
            mark = f"  [补录 back-entry: 发生于 {b['occurred_at']}，理由：{b['reason']}，{b['approved_by']} 确认]"
        if e.get("approval"):
            mark = f"  [批准 approval: {e['approval']['requested_by']} 申请（#{e['approval']['request_seq']}），{e['actor']} 签名批准]"
        if e.get("correction"):
            mark = f"  [更正 correction → 第{e['correction']['version']}版：{e['correction']['reason']}]"
        if e.get("migration"):
            m = e["migration"]
            mark = f"  [迁移 migration: {m['from']} → {m['to']}，依据 basis：{m['basis']}]"
        said = f"：{_outcome(c, info['procedure'], e['action'], e['outcome'])}" if e.get("outcome") else ""
        click.echo(f"  {e['seq']:>3} {e['at']} {e['actor']}: {e['action']}{said} {e['from'] or ''}→{e['to']}{sign}{mark}")
    click.echo("可进行 next: " + ", ".join(info["next_actions"]))
    if not report.ok:
        _broken(report, False, "记录校验失败 / the record does not verify")


def _outcome(c: Ctx, procedure: str, action_id: str, outcome: str) -> str:
    """An outcome as its option's labels in the definition (zh / en), as the pages show it."""
    action = c.core.catalog.get(procedure).actions.get(action_id)
    spec = action.fields.get(action.outcome_field) if action and action.outcome_field else None
    if spec is None:
        return outcome
    return f"{display(spec, outcome, 'zh')} / {display(spec, outcome, 'en')} ({outcome})"


def _broken(report: Report, as_json: bool, heading: str) -> NoReturn:
    """Print what verification found in a decision's record and exit 1."""
    if as_json:
        emit({"ok": False, "verification": report.as_dict()})
    else:
        click.echo(heading, err=True)
        for i, problem in enumerate(report.problems):
            click.echo(f"{'BROKEN' if i == 0 else '  also'}: {problem}", err=True)
    sys.exit(1)


@decisions.command("list")
@click.option("--state")
@click.option("--as", "viewer", help="only this user's office (a citizen: only the decisions put before the public)")
@json_option
@pass_ctx
def list_(c: Ctx, state: str | None, viewer: str | None, as_json: bool) -> None:
    """List decisions, newest first."""
    from workflow.views.queries import decision_summary, list_decisions
    from workflow.views.visibility import visible_rows

    who = _viewer(c, viewer)
    with c.core.db.read() as conn:
        if who is not None and who.public:
            rows = [decision_summary(r, c.core.catalog) for r in visible_rows(conn, who.org_id, c.core.clock(),
                                                                              state=state, catalog=c.core.catalog)]
        else:
            rows = list_decisions(conn, c.core.catalog, org_id=who.org_id if who else None, state=state)
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['state']}\t{r['state_zh']}\tv{r['version']}\t{r['procedure']}\t{r['title']}")


def _print_result(result: Any, as_json: bool) -> None:
    if as_json:
        emit({"ok": True, "decision": result.decision_id, "action": result.action, "from": result.from_state,
              "state": result.state, "version": result.version, "hash": result.hash})
    else:
        click.echo(f"{result.decision_id} {result.action}: {result.state} (version {result.version})")


@decisions.command("backfill")
@click.argument("decision_id", type=int)
@click.argument("action")
@click.option("--as", "actor", required=True, help="the person who took the step offline")
@click.option("--occurred-at", required=True, help="when it happened, e.g. 2026-02-10T09:00+08:00")
@click.option("--reason", required=True, help="why it is entered afterwards (补录理由)")
@click.option("--data", "data", help="JSON object, or @FILE")
@password_stdin_option
@json_option
@pass_ctx
def backfill(c: Ctx, decision_id: int, action: str, actor: str, occurred_at: str, reason: str, data: str | None,
             password_stdin: bool, as_json: bool) -> None:
    """Request a back-entry (补录) of a step that happened offline; a chief executive confirms it.

    A signed step is signed now, by the requester (their password is asked for).
    """
    from workflow.record.records import request_backfill

    password = read_password(password_stdin) if signed_action(c, decision_id, action) else None
    seq = request_backfill(c.core, decision_id, action, actor, _parse_data(data), occurred_at, reason,
                           password=password)
    if as_json:
        emit({"ok": True, "decision": decision_id, "request": seq})
    else:
        click.echo(f"补录申请 back-entry request {seq}: 待行政首长确认 / awaiting the chief executive")


@decisions.command("backfills")
@click.argument("decision_id", type=int)
@json_option
@pass_ctx
def backfills(c: Ctx, decision_id: int, as_json: bool) -> None:
    """List back-entry requests awaiting confirmation."""
    from workflow.record.records import pending_backfills

    rows = pending_backfills(c.core, decision_id)
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['seq']}\t{r['action']}\t{r['occurred_at']}\t{r['requested_by']}\t{r['reason']}")


@decisions.command("confirm-backfill")
@click.argument("decision_id", type=int)
@click.argument("request", type=int)
@click.option("--as", "approver", required=True, help="a chief executive of the office")
@json_option
@pass_ctx
def confirm_backfill(c: Ctx, decision_id: int, request: int, approver: str, as_json: bool) -> None:
    """Confirm a back-entry request: the step is recorded as of its occurrence time, marked 补录."""
    from workflow.record.records import confirm_backfill as confirm

    _print_result(confirm(c.core, decision_id, request, approver), as_json)


@decisions.command("reject-backfill")
@click.argument("decision_id", type=int)
@click.argument("request", type=int)
@click.option("--as", "approver", required=True)
@click.option("--reason", required=True)
@json_option
@pass_ctx
def reject_backfill(c: Ctx, decision_id: int, request: int, approver: str, reason: str, as_json: bool) -> None:
    """Decline a back-entry request, with a reason."""
    from workflow.record.records import reject_backfill as reject

    seq = reject(c.core, decision_id, request, approver, reason)
    _print_refusal(decision_id, seq, f"补录申请 {request} 不予确认", as_json)


@decisions.command("approvals")
@click.argument("decision_id", type=int)
@json_option
@pass_ctx
def approvals_list(c: Ctx, decision_id: int, as_json: bool) -> None:
    """List requests awaiting approval (an action someone without the approving role asked for)."""
    from workflow.record.approvals import pending

    rows = pending(c.core, decision_id)
    if as_json:
        emit(rows)
        return
    for r in rows:
        click.echo(f"{r['seq']}\t{r['action']}\t{r['requested_by']}\t{r['requested_at']}\t"
                   f"{json.dumps(r['data'], ensure_ascii=False)}")


@decisions.command("approve")
@click.argument("decision_id", type=int)
@click.argument("request", type=int)
@click.option("--as", "approver", required=True, help="an approver of the office, not the requester")
@password_stdin_option
@json_option
@pass_ctx
def approve(c: Ctx, decision_id: int, request: int, approver: str, password_stdin: bool, as_json: bool) -> None:
    """Approve a request with your own signature (password asked): the action applies now."""
    from workflow.record.approvals import confirm

    _print_result(confirm(c.core, decision_id, request, approver, password=read_password(password_stdin)), as_json)


@decisions.command("decline-approval")
@click.argument("decision_id", type=int)
@click.argument("request", type=int)
@click.option("--as", "approver", required=True)
@click.option("--reason", required=True)
@json_option
@pass_ctx
def decline_approval(c: Ctx, decision_id: int, request: int, approver: str, reason: str, as_json: bool) -> None:
    """Decline a request awaiting approval, with a reason; the decision stays as it was."""
    from workflow.record.approvals import decline

    seq = decline(c.core, decision_id, request, approver, reason)
    _print_refusal(decision_id, seq, f"申请 {request} 不予批准 / request declined", as_json)


def _print_refusal(decision_id: int, seq: int, what: str, as_json: bool) -> None:
    """The answer to a declined request: the new version of the decision."""
    if as_json:
        emit({"ok": True, "decision": decision_id, "version": seq})
    else:
        click.echo(f"{decision_id}: {what} (version {seq})")


@decisions.command("correct")
@click.argument("decision_id", type=int)
@click.argument("action")
@click.option("--as", "actor", required=True)
@click.option("--reason", required=True, help="why the record is corrected (更正理由)")
@click.option("--data", "data", help="the corrected record: JSON object, or @FILE")
@click.option("--of-version", type=int, help="refuse unless this is the version in force")
@click.option("--grant", type=int, help="correct as a deputy under this grant (代理)")
@password_stdin_option
@json_option
@pass_ctx
def correct(c: Ctx, decision_id: int, action: str, actor: str, reason: str, data: str | None,
            of_version: int | None, grant: int | None, password_stdin: bool, as_json: bool) -> None:
    """Correct a recorded meeting, opinion, hearing record or window: a new version; the old one is kept."""
    from workflow.record.records import correct as correct_record

    password = read_password(password_stdin) if signed_action(c, decision_id, action) else None
    _print_result(correct_record(c.core, decision_id, action, actor, _parse_data(data), reason, of_version,
                                 password=password, grant=grant), as_json)


@decisions.command("migrate")
@click.argument("decision_id", type=int)
@click.option("--to", "to", required=True, help="the newer version, e.g. cn-713@2027-01-01 (or just 2027-01-01)")
@click.option("--basis", required=True, help="the legal basis of the migration (迁移依据), e.g. the amended regulation")
@click.option("--as", "actor", required=True, help="the chief executive of the decision's office")
@click.option("--dry-run", is_flag=True, help="show the mapped state and facts; change nothing")
@click.option("--expect-version", type=click.IntRange(min=1), help="refuse if the decision changed since this version")
@password_stdin_option
@json_option
@pass_ctx
def migrate(c: Ctx, decision_id: int, to: str, basis: str, actor: str, dry_run: bool, expect_version: int | None,
            password_stdin: bool, as_json: bool) -> None:
    """Move an in-flight decision to a newer version of its procedure (signed by the chief; audited)."""
    from workflow.record.migration import migrate as migrate_decision

    password = None if dry_run else read_password(password_stdin)
    result = migrate_decision(c.core, decision_id, to, actor, basis, dry_run=dry_run, password=password,
                              expected_version=expect_version)
    if as_json:
        emit({"ok": True} | result)
        return
    state, facts = result["state"], result["facts"]
    head = "预览（未更改）/ dry run, nothing changed" if dry_run else f"已迁移 / migrated (version {result['version']})"
    click.echo(f"{decision_id}: {result['from']} → {result['to']} · {head}")
    click.echo(f"迁移依据 / basis: {result['basis']}")
    click.echo(f"环节 / state: {state['from']} → {state['to']}")
    for old, new in facts["rename"].items():
        click.echo(f"事实 / fact: {old} → {new}")
    for name in facts["drop"]:
        click.echo(f"删除 / dropped: {name}")
    for task in facts["add_tasks"]:
        click.echo(f"新增任务 / new task: {task}")
    deadlines = result["deadlines"]
    if deadlines["close"] or deadlines["start"]:
        click.echo(f"期限 / deadlines: close {', '.join(deadlines['close']) or '-'}; "
                   f"start {', '.join(deadlines['start']) or '-'}")
