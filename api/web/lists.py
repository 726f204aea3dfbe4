"""The inbox (我的待办) with notifications, and the yearly catalogue (决策事项目录) with CSV and Excel export
and the record of its publication (Art. 3)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length

from api.errors import status_of
from api.web import labels, public
from api.web.common import (
    CsrfForm,
    FlaskForm,
    actor,
    core,
    label,
    lang,
    local_time,
    login_required,
    msg,
    referrer_path,
)
from workflow.admin.catalogue_publication import MAY_PUBLISH, catalogue_deadline, publications, publish_catalogue
from workflow.engine.errors import InvalidInput, NotFound, WorkflowError
from workflow.notices.alerts import acknowledge
from workflow.timing.calendar import SHANGHAI
from workflow.views import catalogue as catalogue_view
from workflow.views.catalogue import (
    STEPS,
    CatalogueFilter,
    CatalogueRow,
    catalogue,
    office_units,
    years_of,
)
from workflow.views.inbox import inbox_page, notifications_page
from workflow.views.paging import Page, Window
from workflow.views.visibility import public_only, visible_ids

bp = Blueprint("inbox", __name__)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _window(prefix: str = "") -> Window:
    """The page asked for: ``after``/``before`` cursors (``n_after``... for the notifications), sized by config."""
    return Window(int(current_app.config.get("JUECE_PAGE_SIZE", 50)), request.args.get(f"{prefix}after") or None, request.args.get(f"{prefix}before") or None)


@bp.app_template_global()
def page_link(**changes: str | None) -> str:
    """This page's address with ``changes`` to its query (None removes a key): filters stay, cursors move."""
    args: dict[str, Any] = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(str(request.endpoint), **args)


@bp.get("/")
@login_required
def inbox() -> tuple[str, int]:
    """What waits on me, by due date (overdue in red, due soon highlighted), and my notifications, a page each."""
    c, person = core(), actor()
    now = c.clock()
    error = None
    items: Page[Any] = Page()
    notes: Page[Any] = Page()
    with c.db.read() as conn:
        cal = c.office_calendar(conn, person.org_id)
        try:
            items = inbox_page(conn, c.catalog, person, now, cal, _window())
            keep = None
            if public_only(person.roles):  # never a notice about a decision the person may not see
                def keep(n: Any) -> bool:
                    return n.decision_id is None or bool(visible_ids(conn, person.org_id, [n.decision_id], now, c.catalog))
            notes = notifications_page(conn, person.id, _window("n_"), keep)
        except InvalidInput as bad:
            error = msg(bad)
    return render_template("inbox.html", items=items.items, page=items, notes=notes.items, notes_page=notes,
                           ack_form=CsrfForm(), now=now, error=error), 400 if error else 200


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


class PublishCatalogueForm(FlaskForm):
    """The year's catalogue as published: its reference, the Party committee's consent, channels, date."""

    year = HiddenField()
    reference = StringField(validators=[Length(max=500)])
    party_consent = StringField(validators=[Length(max=500)])
    channels = TextAreaField(validators=[Length(max=2000)])
    published_on = StringField(render_kw={"type": "date"})


def _catalogue_due(year: int) -> dt.date | None:
    """The day the year's catalogue is due, from the definitions' office-wide deadline."""
    deadline = catalogue_deadline(core().catalog)
    if deadline is None or deadline.rule.get("kind") != "annual_date":
        return None
    return dt.date(year, int(deadline.rule["month"]), int(deadline.rule["day"]))


def _render_catalogue(wanted: CatalogueFilter, form: PublishCatalogueForm | None = None, error: str | None = None,
                      status: int = 200) -> tuple[str, int]:
    c, person = core(), actor()
    window = _window()
    page_error = None
    if public_only(person.roles):
        try:
            page_ = public.catalogue_page(person, wanted, window)
        except InvalidInput as bad:
            page_, page_error, status = Page(), msg(bad), 400
        return render_template("public_catalogue.html", rows=page_.items, page=page_, wanted=wanted,
                               states=public.state_choices(), years=public.catalogue_years(person) or [wanted.year],
                               query=_filters_query(), page_error=page_error), status
    page: Page[CatalogueRow] = Page()
    with c.db.read() as conn:
        try:
            page = catalogue_view.catalogue_page(conn, c.catalog, person.org_id, wanted, c.clock(), window)
        except InvalidInput as bad:
            page_error, status = msg(bad), 400
        years = years_of(conn, person.org_id) or [wanted.year]
        units = office_units(conn, person.org_id)
        published = publications(conn, person.org_id, wanted.year)
    states: dict[str, str] = {}
    for procedure in c.catalog.all():
        for sid, state in procedure.states.items():
            states.setdefault(sid, label(state.label))
    if form is None and person.roles & MAY_PUBLISH:
        form = PublishCatalogueForm(formdata=None, data={"year": str(wanted.year)})
    return render_template("catalogue.html", rows=page.items, page=page, wanted=wanted, years=years, states=states,
                           units=units, steps={k: label(v) for k, v in STEPS.items()},
                           status_label=lambda s: labels.pick(labels.TASK_STATUS.get(s), lang(), s),
                           query=_filters_query(), publications=published,
                           due_on=_catalogue_due(wanted.year), today=c.clock().astimezone(SHANGHAI).date(),
                           publish_form=form, error=error, page_error=page_error), status


def _filters_query() -> str:
    """The filters of this request as a query string, without page cursors (the exports take every page)."""
    return urlencode([(k, v) for k, v in request.args.items(multi=True) if k not in ("after", "before")])


@bp.get("/catalogue")
@login_required
def catalogue_page() -> tuple[str, int]:
    """The office's decisions for a year, with state, owner unit and the key steps done; filters."""
    return _render_catalogue(_filter())


@bp.post("/catalogue/publish")
@login_required
def publish_catalogue_page() -> Any:
    """Record the year's catalogue as published (Art. 3): meets the office's catalogue deadline."""
    person = actor()
    if not person.roles & MAY_PUBLISH:
        abort(403)
    form = PublishCatalogueForm()
    year_text = str(form.year.data or "")
    if not form.validate_on_submit() or not year_text.isdigit():
        abort(400)
    year = int(year_text)
    try:
        day = str(form.published_on.data or "").strip()
        published_on = dt.date.fromisoformat(day) if day else None
    except ValueError:
        return _render_catalogue(CatalogueFilter(year), form, _("请输入有效日期 YYYY-MM-DD。"), 422)
    channels = [c for c in re.split(r"[\n;；、,，]+", str(form.channels.data or "")) if c.strip()]
    try:
        done = publish_catalogue(core(), year, person.name, str(form.reference.data or ""),
                                 party_consent=str(form.party_consent.data or ""), channels=channels,
                                 published_on=published_on)
    except WorkflowError as exc:
        return _render_catalogue(CatalogueFilter(year), form, msg(exc), status_of(exc))
    flash(_("已记录 %(year)s 年度决策事项目录公布（第 %(n)s 次）。", year=done.year, n=done.revision), "ok")
    return redirect(url_for("inbox.catalogue_page", year=year), 303)


def safe_cell(value: Any) -> Any:
    """A cell that a spreadsheet will not run as a formula: text starting with = + - @ tab or CR gets a '."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _table(rows: list[CatalogueRow]) -> list[list[Any]]:
    steps = {k: label(v) for k, v in STEPS.items()}
    head = [_("编号"), _("事项名称"), _("承办单位"), _("承办人"), _("当前环节"), _("创建日期"), *steps.values(),
            _("补录环节")]
    body = [[r.id, r.title, r.owner_unit, r.owner, label(r.state_label), r.created_on.isoformat(),
             *(labels.pick(labels.TASK_STATUS.get(r.steps[k]), lang(), r.steps[k]) for k in steps),
             "、".join(label(b) for b in r.backfilled)] for r in rows]
    return [head, *body]


def _export_rows() -> tuple[list[list[Any]], str]:
    c, person = core(), actor()
    wanted = _filter()
    if public_only(person.roles):  # public rows and columns only (workflow.views.visibility)
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
    return standing_text(item.due)


def standing_text(due: Any) -> str:
    """How a deadline stands in words; without a year's calendar, says which year it waits for."""
    if due is None:
        return ""
    if due.awaiting:
        return str(_("待导入%(year)s年节假日安排后计算", year=due.missing_year))
    if due.overdue_working_days is None:
        return str(_("已逾期（%(year)s年工作日待日历导入后计算）", year=due.missing_year) if due.overdue else
                   _("剩余工作日待导入%(year)s年日历后计算", year=due.missing_year))
    if due.overdue:
        return str(_("已逾期 %(n)s 个工作日", n=due.overdue_working_days))
    return str(_("还剩 %(n)s 个工作日", n=due.working_days_left))


@bp.app_template_global()
def standing_words(due: Any) -> str:
    """Template access to ``standing_text`` (the decision page's deadline table)."""
    return standing_text(due)


@bp.app_template_global()
def due_words(item: Any) -> str:
    """Template access to ``due_text``."""
    return due_text(item)


@bp.app_template_global()
def when(value: Any) -> str:
    """Template access to local time."""
    return local_time(value)
