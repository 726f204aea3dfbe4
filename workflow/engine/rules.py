"""The engine's own refusals, each with its article: approvals, stated times, back-entries, corrections and the
yearly catalogue. They hold for every procedure; a pack's hard rules live in the pack's ``rules.py``.

Messages are the text a refused official reads; ``{placeholders}`` are filled from the refusal's
details. Codes are part of the public interface (CLI, API, exports): never rename one.
"""

from __future__ import annotations

from workflow.engine.errors import Rule

R = Rule

APPROVAL_NOT_TYPED = R(
    "approval_not_typed", "Art. 30",
    "批准不能以填写姓名代替：“{action}”由申请人提交申请，经{approvers}本人在待办中签名确认后生效",
    "An approval is an act, not a typed name: '{action}' is requested, and takes effect once {approvers_en} "
    "confirms it with their own signature")
APPROVAL_SELF_CONFIRMATION = R(
    "approval_self_confirmation", "Art. 30",
    "申请人不得批准本人提出的申请",
    "A request may not be approved or declined by the person who made it")
APPROVAL_ALREADY_PENDING = R(
    "approval_already_pending", "Art. 30",
    "“{action}”已有待批准的申请（第 {request} 号），请等待批准人处理",
    "'{action}' already awaits approval (request {request})")
STATED_TIME_IN_FUTURE = R(
    "stated_time_in_future", "Art. 33",
    "“{field}”所述事项尚未发生：所填时间 {stated} 晚于录入时间 {now}；事后补录请使用“补录”",
    "'{field}' states something that has not happened yet: {stated} is after the moment of entry {now}; "
    "enter history that happened offline as a back-entry (补录)")
STATED_TIME_TOO_EARLY = R(
    "stated_time_before_prerequisite", "Art. 33",
    "“{field}”（{stated}）不得早于{after_label}（{after}）",
    "'{field}' ({stated}) may not precede {after_label_en} ({after})")
WINDOW_STARTS_BEFORE_ENTRY = R(
    "window_starts_before_entry", "Art. 33",
    "“{field}”（{stated}）早于录入时间 {now}：向社会公开的期限不得从过去开始；事后补录请使用“补录”",
    "'{field}' ({stated}) is before the moment of entry {now}: a period open to the public cannot start in "
    "the past; enter history that happened offline as a back-entry (补录)")
BACKFILL_OUT_OF_ORDER = R(
    "backfill_out_of_order", "Art. 33",
    "补录的发生时间 {occurred_at} 不得晚于现在，也不得早于本事项上一条记录的时间 {previous}",
    "A back-entry's occurrence time {occurred_at} may not be in the future or before the decision's "
    "previous record ({previous})")
BACKFILL_REASON_REQUIRED = R(
    "backfill_reason_required", "Art. 33",
    "补录应当说明理由，并经行政首长确认",
    "A back-entry needs a stated reason and the chief executive's confirmation")
BACKFILL_SELF_APPROVAL = R(
    "backfill_self_approval", "Art. 33",
    "补录不得由申请人本人确认",
    "A back-entry may not be confirmed by the person who requested it")
CORRECTION_REASON_REQUIRED = R(
    "correction_reason_required", "Art. 33",
    "更正记录应当说明理由；原记录保留",
    "A correction needs a stated reason; the earlier record is kept")
CORRECTION_NOT_CURRENT = R(
    "correction_of_superseded_version", "Art. 33",
    "只能更正现行版本（第 {current} 版）；第 {requested} 版已被更正，不得修改",
    "Only the current version ({current}) can be corrected; version {requested} was superseded and cannot be edited")
CORRECTION_CHANGES_OUTCOME = R(
    "correction_changes_outcome", "Art. 33",
    "更正不得改变结论（{recorded}）；结论改变应当重新履行该程序",
    "A correction may not change the recorded outcome ({recorded}); a different outcome needs the step again")
RECORD_EXISTS_USE_CORRECTION = R(
    "record_exists_use_correction", "Art. 33",
    "“{record}”已有记录；如需修改，请以“更正”方式提交新版本并说明理由，原记录保留",
    "'{record}' is already on record; submit a correction (a new version with a reason) instead, the earlier one is kept")
CATALOGUE_REFERENCE_REQUIRED = R(
    "catalogue_reference_required", "Art. 3",
    "公布决策事项目录应当载明公布文号或者公布网址",
    "Publishing the decision catalogue needs its reference (document number or web address)")
CATALOGUE_PARTY_CONSENT_REQUIRED = R(
    "catalogue_party_consent_required", "Art. 3",
    "决策事项目录应当经同级党委同意后向社会公布，请载明党委同意的文号或者会议纪要",
    "The decision catalogue is published after the Party committee at the same level consents: "
    "give the reference of that consent")
