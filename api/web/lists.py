"""The inbox (我的待办) with notifications, and the yearly catalogue (决策事项目录) with CSV and Excel export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from werkzeug.wrappers import Response

from api.web import labels, public
from api.web.common import CsrfForm, actor, core, label, lang, local_time, login_required, referrer_path
from workflow.alerts import acknowledge
from workflow.catalogue import STEPS, CatalogueFilter, CatalogueRow, catalogue, units_of, years_of
from workflow.errors import NotFound
from workflow.inbox import inbox_items, notifications
from workflow.persistence.store import Store
from workflow.visibility import public_only, visible_ids

bp = Blueprint("inbox", __name__)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@bp.get("/")
@login_required
def inbox() -> str:
    """What waits on me, by due date (overdue in red, due soon highlighted), and my notifications."""
    c, person = core(), actor()
    now = c.clock()
    with c.db.read() as conn:
        st = Store(conn)
        cal = c.calendar_for(st, st.system_seq())
        items = inbox_items(conn, c.catalog, person, now, cal)
        notes = notifications(conn, person.id)
        if public_only(person.roles):  # never a notice about a decision the person may not see
            seen = visible_ids(conn, person.org_id, [n.decision_id for n in notes if n.decision_id], now)
            notes = [n for n in notes if n.decision_id is None or n.decision_id in seen]
    return render_template("inbox.html", items=items, notes=notes, ack_form=CsrfForm(), now=now)


@bp.post("/notifications/<int:notification_id>/ack")
@login_required
def ack(notification_id: int) -> Response:
    """Acknowledge one of my notifications (an overdue alert then stops escalating)."""
    person = actor()
    if not CsrfForm().validate_on_submit():
        abort(400)
    try:
        acknowledge(core(), notification_id, person.name)
    except NotFound:
        abort(404)
    flash(_("已确认通知。"), "ok")
    return redirect(referrer_path(url_for("inbox.inbox")), 303)


def _filter() -> CatalogueFilter:
    now = core().clock()
    year = request.args.get("year", "")
    state = request.args.get("state") or None
    return CatalogueFilter(int(year) if year.isdigit() else now.year, state,
                           request.args.get("unit") or None, (request.args.get("q") or "").strip() or None)


@bp.get("/catalogue")
@login_required
def catalogue_page() -> str:
    """The office's decisions for a year, with state, owner unit and the key steps done; filters."""
    c, person = core(), actor()
    wanted = _filter()
    if public_only(person.roles):
        rows_ = public.catalogue_rows(person, wanted)
        return render_template("public_catalogue.html", rows=rows_, wanted=wanted, states=public.state_choices(),
                               years=public.catalogue_years(person) or [wanted.year],
                               query=request.query_string.decode("ascii", "replace"))
    with c.db.read() as conn:
        rows = catalogue(conn, c.catalog, person.org_id, wanted, c.clock())
        everything = catalogue(conn, c.catalog, person.org_id, CatalogueFilter(wanted.year), c.clock())
        years = years_of(conn, person.org_id) or [wanted.year]
    states: dict[str, str] = {}
    for procedure in c.catalog.all():
        for sid, state in procedure.states.items():
            states.setdefault(sid, label(state.label))
    return render_template("catalogue.html", rows=rows, wanted=wanted, years=years, states=states,
                           units=units_of(everything), steps={k: label(v) for k, v in STEPS.items()},
                           status_label=lambda s: labels.pick(labels.TASK_STATUS.get(s), lang(), s),
                           query=request.query_string.decode("ascii", "replace"))


def safe_cell(value: Any) -> Any:
    """A cell that a spreadsheet will not run as a formula: text starting with = + - @ tab or CR gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _table(rows: list[CatalogueRow]) -> list[list[Any]]:
    steps = {k: label(v) for k, v in STEPS.items()}
    head = [_("编号"), _("事项名称"), _("承办单位"), _("承办人"), _("当前环节"), _("创建日期"), *steps.values()]
    body = [[r.id, r.title, r.owner_unit, r.owner, label(r.state_label), r.created_on.isoformat(),
             *(labels.pick(labels.TASK_STATUS.get(r.steps[k]), lang(), r.steps[k]) for k in steps)] for r in rows]
    return [head, *body]


def _export_rows() -> tuple[list[list[Any]], str]:
    c, person = core(), actor()
    wanted = _filter()
    if public_only(person.roles):  # public rows and columns only (workflow.visibility)
        table = public.catalogue_table(public.catalogue_rows(person, wanted))
    else:
        with c.db.read() as conn:
            table = _table(catalogue(conn, c.catalog, person.org_id, wanted, c.clock()))
    return [[safe_cell(v) for v in line] for line in table], f"catalogue-{wanted.year}"


@bp.get("/catalogue.csv")
@login_required
def export_csv() -> Response:
    """The filtered catalogue as CSV (UTF-8 with BOM for spreadsheet programs), formula-safe."""
    table, name = _export_rows()
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(table)
    return Response(out.getvalue().encode("utf-8"), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv",
                             "X-Content-Type-Options": "nosniff"})


@bp.get("/catalogue.xlsx")
@login_required
def export_xlsx() -> Response:
    """The filtered catalogue as an Excel workbook, every text cell stored as text, formula-safe."""
    table, name = _export_rows()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "决策事项目录" if lang() != "en" else "Catalogue"
    for line in table:
        sheet.append(line)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx",
                             "X-Content-Type-Options": "nosniff"})


def due_text(item: Any) -> str:
    """A deadline's standing in words (for the inbox template)."""
    due = item.due
    if due is None:
        return ""
    if due.overdue:
        return str(_("已逾期 %(n)s 个工作日", n=due.overdue_working_days))
    return str(_("还剩 %(n)s 个工作日", n=due.working_days_left))


@bp.app_template_global()
def due_words(item: Any) -> str:
    """Template access to ``due_text``."""
    return due_text(item)


@bp.app_template_global()
def when(value: Any) -> str:
    """Template access to local time."""
    return local_time(value)
