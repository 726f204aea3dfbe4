"""Step forms generated from an action's fields in the definition, and their input turned into engine data."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from werkzeug.datastructures import FileStorage
from wtforms import (
    BooleanField,
    Field,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import Length

from api.web.common import FlaskForm
from api.web.labels import pick
from workflow.engine.definition import ActionDef, FieldDef, ProcedureDef
from workflow.engine.fields import FIELD_TYPES, WidgetHint

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
ALLOWED_EXTENSIONS = frozenset({".pdf", ".doc", ".docx", ".odt", ".wps", ".txt", ".md", ".rtf", ".xls", ".xlsx",
                                ".ods", ".png", ".jpg", ".jpeg"})
VIEW_ROWS = 8
#: Widget kinds drawn as an ``<input>`` of this type (the registry's min, max and step go with them).
INPUT_TYPES = {"date": "date", "datetime": "datetime-local", "number": "number"}
#: Fields filled in by the page itself rather than typed, by the action's mark: a draft's file name.
AUTO_FIELDS = {("draft", "filename")}


def _auto(action: ActionDef, field: str) -> bool:
    return any((mark, field) in AUTO_FIELDS for mark in action.marks)


def widget(spec: FieldDef) -> WidgetHint:
    """The registry's widget hint for a field."""
    return FIELD_TYPES[spec.type].widget(spec)


def choices(pairs: list[tuple[str, str]]) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, text) for value, text in pairs]


class UploadRefused(ValueError):
    """An upload over the size limit or of a type not accepted; ``field`` names the form field."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]  # wtforms ships no types
    """Several choices as checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class ActionForm(FlaskForm):
    """Base of every generated step form: the version the person saw, for the stale-form check."""

    expected_version = HiddenField()
    #: 代理: the grant a deputy acts under (set on the forms the page offers a deputy).
    grant = HiddenField()
    #: 补录: filled only to enter a step that happened offline; it then waits for the chief's confirmation.
    backfill_occurred_at = StringField(_l("实际发生时间"), render_kw={"type": "datetime-local"})
    backfill_reason = TextAreaField(_l("补录理由"))
    #: 更正: the reason for a new version of a record (correction forms only).
    correction_reason = TextAreaField(_l("更正理由"))
    #: The repeated rows of an ``entries`` field, one per input, found by its reference (see ``build_form``).
    entry_rows: list[dict[str, Any]] = []


class BackfillDecisionForm(FlaskForm):
    """The chief executive's answer to a back-entry request (the reason is needed to decline)."""

    reason = StringField(_l("不予确认的理由"), validators=[Length(max=2000)])


class ApprovalDecisionForm(FlaskForm):
    """An approver's answer to a request: their own password to approve, a reason to decline."""

    password = PasswordField(_l("输入您的密码以签名批准"), render_kw={"autocomplete": "current-password"})
    reason = StringField(_l("不予批准的理由"), validators=[Length(max=2000)])


def _field(hint: WidgetHint, text: str, kw: dict[str, Any], lang: str, people: list[str]) -> Field:
    """The WTForms control for a single-valued widget hint."""
    attrs = {"min": hint.min, "max": hint.max, "step": hint.step,
             "placeholder": pick(hint.placeholder, lang) if hint.placeholder else None}
    kw["render_kw"].update({k: v for k, v in attrs.items() if v is not None})
    if hint.kind in INPUT_TYPES:
        kw["render_kw"]["type"] = INPUT_TYPES[hint.kind]
        return StringField(text, **kw)
    if hint.kind == "textarea":
        return TextAreaField(text, **kw)
    if hint.kind == "checkbox":
        return BooleanField(text)
    if hint.kind == "select":
        return SelectField(text, choices=choices([("", "—")] + [(o, pick(lab, lang)) for o, lab in hint.options]), **kw)
    if hint.kind == "checkboxes":
        return CheckboxesField(text, choices=choices([(o, pick(lab, lang)) for o, lab in hint.options]))
    if hint.kind == "person":
        return SelectField(text, choices=choices([("", "—")] + [(p, p) for p in people]), **kw)
    if hint.kind == "file":
        return FileField(text)
    return StringField(text, **kw)


def build_form(action: ActionDef, procedure: ProcedureDef, *, lang: str, people: list[str],
               inputs: list[dict[str, str]], version: int, formdata: Any = None,
               prefix: str | None = None, signs: bool = False) -> ActionForm:
    """A Flask-WTF form for ``action``, fields prefixed by the action id so many fit on one page.

    Each field's control follows its type's widget hint (``workflow.engine.fields``). ``signs``: this person's
    taking of it is signed though the step is not (an approver's own act).
    """
    attrs: dict[str, Any] = {}
    for spec in action.fields.values():
        if _auto(action, spec.name):
            continue
        hint = widget(spec)
        text = pick(spec.label, lang, spec.name)
        kw: dict[str, Any] = {"render_kw": {"required": True} if spec.required and not hint.multiple
                              and hint.kind != "file" else {}}
        if "waiver" in action.marks and spec.name == "task":  # the procedure's own tasks, by their labels
            hint = WidgetHint("select", options=tuple((t.id, t.label) for t in procedure.tasks.values()))
        if hint.kind == "entries":
            # Named by the input's own reference, never by its position: an input arriving while the form
            # is open must not move an answer onto another input.
            for item in inputs:
                key = row_key(item["ref"])
                attrs[f"{spec.name}__{key}__ref"] = HiddenField(default=item["ref"])
                attrs[f"{spec.name}__{key}__adoption"] = SelectField(
                    f"{item['ref']}", default="",
                    choices=choices([("", "—")] + [(o, pick(lab, lang)) for o, lab in hint.options]))
                attrs[f"{spec.name}__{key}__reason"] = StringField(_("理由（未采纳时必填）"))
        elif hint.kind == "views":
            for i in range(VIEW_ROWS):
                # A row is its member: a name chosen before that person left the office stays chosen (the
                # engine judges it), so the kept form is not refused as invalid.
                chosen = str(formdata.get(f"{prefix or action.id}-{spec.name}__{i}__member") or "") if formdata else ""
                names = people + ([chosen] if chosen and chosen not in people else [])
                attrs[f"{spec.name}__{i}__member"] = SelectField(
                    _("第 %(n)s 位发言成员", n=i + 1), default="", choices=choices([("", "—")] + [(p, p) for p in names]))
                attrs[f"{spec.name}__{i}__view"] = SelectField(
                    _("意见"), default="", choices=choices([("", "—")] + [(o, pick(lab, lang)) for o, lab in hint.options]))
                attrs[f"{spec.name}__{i}__remarks"] = StringField(_("发言要点"))
        else:
            attrs[spec.name] = _field(hint, text, kw, lang, people)
            if hint.kind == "file":
                attrs[f"{spec.name}__text"] = TextAreaField(_("或直接输入文本：%(field)s", field=text))
    if action.signed or signs:
        attrs["password"] = PasswordField(_("再次输入您的密码以签名"), render_kw={
            "required": True, "autocomplete": "current-password"})
    form_class = type(f"{action.id.title().replace('_', '')}Form", (ActionForm,), attrs)
    form: ActionForm = form_class(formdata=formdata, prefix=prefix or action.id)
    if formdata is None:
        form.expected_version.data = str(version)
    form.entry_rows = _entry_rows(form, action, inputs, formdata)
    return form


def row_key(ref: str) -> str:
    """An input's reference (``comment:3``) as a field-name part (``comment-3``)."""
    return ref.replace(":", "-")


def _entry_rows(form: ActionForm, action: ActionDef, inputs: list[dict[str, str]], formdata: Any) -> list[dict[str, Any]]:
    """Each input with its own fields; ``new`` when a posted form did not carry it (it arrived meanwhile)."""
    rows: list[dict[str, Any]] = []
    for spec in action.fields.values():
        if widget(spec).kind != "entries":
            continue
        for item in inputs:
            base = f"{spec.name}__{row_key(item['ref'])}"
            ref_field = form[f"{base}__ref"]
            rows.append({"field": spec.name, "item": item, "ref": ref_field, "adoption": form[f"{base}__adoption"],
                         "reason": form[f"{base}__reason"],
                         "new": formdata is not None and ref_field.name not in formdata})
    return rows


def _upload(storage: FileStorage, name: str) -> tuple[bytes, str]:
    filename = PurePath(str(storage.filename or "").replace("\\", "/")).name[:255]
    if PurePath(filename).suffix.lower() not in ALLOWED_EXTENSIONS:
        raise UploadRefused(name, _("不接受这种文件类型：%(name)s（可上传 %(types)s）", name=filename,
                                    types="、".join(sorted(ALLOWED_EXTENSIONS))))
    content = storage.read(MAX_UPLOAD_BYTES + 1)
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadRefused(name, _("文件过大：上限 20 MB"), 413)  # the API's status for the same upload
    if not content:
        raise UploadRefused(name, _("文件是空的：%(name)s", name=filename))
    return content, filename


def form_data(form: ActionForm, action: ActionDef) -> dict[str, Any]:
    """What the person entered, as the engine's input (blank fields left out; the engine checks the rest)."""
    data: dict[str, Any] = {}
    for spec in action.fields.values():
        if _auto(action, spec.name):
            continue
        kind = widget(spec).kind
        if kind == "file":
            storage = form[spec.name].data
            if isinstance(storage, FileStorage) and storage.filename:
                content, filename = _upload(storage, spec.name)
                data[spec.name] = content
                if "draft" in action.marks:
                    data["filename"] = filename
            elif (form[f"{spec.name}__text"].data or "").strip():
                data[spec.name] = form[f"{spec.name}__text"].data
        elif kind == "entries":
            entries = [{"ref": row["item"]["ref"], "adoption": row["adoption"].data, "reason": row["reason"].data or ""}
                       for row in getattr(form, "entry_rows", []) if row["adoption"].data and row["field"] == spec.name]
            if entries:
                data[spec.name] = entries
        elif kind == "views":
            views = [{"member": form[f"{spec.name}__{i}__member"].data, "view": form[f"{spec.name}__{i}__view"].data or "",
                      "remarks": form[f"{spec.name}__{i}__remarks"].data or ""}
                     for i in range(VIEW_ROWS) if form[f"{spec.name}__{i}__member"].data]
            if views:
                data[spec.name] = views
        elif kind == "checkbox":
            data[spec.name] = bool(form[spec.name].data)
        elif kind == "checkboxes":
            if form[spec.name].data:
                data[spec.name] = list(form[spec.name].data)
        else:
            value = form[spec.name].data
            if isinstance(value, str) and value.strip():
                data[spec.name] = value
    return data


def field_rows(form: ActionForm, action: ActionDef) -> list[tuple[str, list[Field]]]:
    """The form's fields grouped per definition field, in the definition's order, with their widget kind."""
    rows: list[tuple[str, list[Field]]] = []
    for spec in action.fields.values():
        if _auto(action, spec.name):
            continue
        group = [f for name, f in form._fields.items() if name == spec.name or name.startswith(f"{spec.name}__")]
        rows.append((widget(spec).kind, group))
    return rows
