"""Procedure definitions as immutable values: what a loaded pack's ``procedure.yaml`` becomes.

The loader (``workflow.engine.loader``, through ``workflow.engine.packs``) builds these after validating the
file and resolving its names against the pack's own functions; nothing else constructs them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES = frozenset(
    {
        "owner", "legal_reviewer", "legal_adviser", "expert", "chief_executive", "secretary",
        "publisher", "executor", "evaluator", "admin", "public",
    }
)
#: Pseudo-roles a definition may name: ``any`` is every signed-in person of the office;
#: ``supervisor`` is a deadline recipient resolved from the office settings.
PSEUDO_ROLES = frozenset({"any", "supervisor"})
#: Generic roles an action may play, declared in its ``marks`` (docs/writing-a-pack.md): what pages, read
#: models and the service need to know about an action without naming it. Each mark lists the fields the
#: action must have for it.
MARKS: Mapping[str, tuple[str, ...]] = {
    # Its document is the decision's draft: stored as document kind ``draft``; a page fills ``filename``.
    "draft": ("filename",),
    # A public comment: comments are numbered in the order submitted (``comment:<n>``).
    "comment": ("text",),
    # An edit of comment number ``comment_id`` by its author.
    "comment_edit": ("comment_id", "text"),
    # An opinion the adoption report answers, numbered in the order given (``expert:<n>``).
    "expert_opinion": ("opinion",),
    # Opens the public comment window: the draft current at ``opens_at`` is public once that time has come.
    "comment_window": ("opens_at", "closes_at"),
    # Announces the matter to the public when entered: the draft current then is public.
    "public_notice": (),
    # Its documents are public when its ``public`` field is true.
    "public_report": ("public",),
    # The signed review opinion a decision's page shows with its text.
    "review_opinion": ("opinion",),
    # Waives an optional task: its ``task`` field chooses among the procedure's tasks.
    "waiver": ("task",),
}


@dataclass(frozen=True, slots=True)
class Label:
    """A name in Chinese (shown by default) and English."""

    zh: str
    en: str


#: Units a declared office setting may count in, with their Chinese and English names.
SETTING_UNITS: Mapping[str, tuple[str, str]] = {
    "working_days": ("工作日", "working days"), "calendar_days": ("日", "days"), "months": ("个月", "months"),
    "years": ("年", "years"), "count": ("", ""),
}


@dataclass(frozen=True, slots=True)
class SettingDef:
    """An office setting a pack declares: an integer with its default and lawful range (``settings:``)."""

    key: str
    label: Label
    default: int
    low: int
    high: int
    unit: str
    article: str
    #: The procedure (``id``) that declares it: the admin page's section.
    procedure: str = ""

    def held(self, value: Any) -> int:
        """The value in force: the office's own when it is a number, held within the range; else the default.

        A value stored before the range was declared (or by hand) is never used outside the range.
        """
        try:
            number = int(value) if value not in (None, "") and not isinstance(value, bool) else self.default
        except (TypeError, ValueError):
            number = self.default
        return min(max(number, self.low), self.high)


@dataclass(frozen=True, slots=True)
class StateDef:
    """One state of the main line."""

    id: str
    label: Label
    terminal: bool = False


@dataclass(frozen=True, slots=True)
class FlagDef:
    """A property set when a decision is initiated; it decides which tasks are required."""

    id: str
    label: Label
    article: str


@dataclass(frozen=True, slots=True)
class TaskDef:
    """A consultation task: a record inside a state, required or optional by the flags."""

    id: str
    label: Label
    done_when: str
    flags_any: tuple[str, ...] = ()
    when_input: bool = False
    participation: bool = False
    #: The pack's done-when predicate named by ``done_when``, and (for ``when_input``) its ``input_refs``
    #: hook, resolved when the pack loads.
    done: Callable[..., bool] | None = None
    inputs: Callable[[Mapping[str, Any]], list[str]] | None = None

    def required_for(self, flags: frozenset[str]) -> bool:
        """Whether the flags make this task required (input-dependent tasks are judged later)."""
        return bool(flags & set(self.flags_any))


@dataclass(frozen=True, slots=True)
class FieldDef:
    """An input field of an action; pages generate their forms from these."""

    name: str
    type: str
    label: Label
    required: bool = False
    options: tuple[str, ...] = ()
    #: Time truth (docs in ``workflow/timing/timetruth.py``): ``past`` for a date a person states about
    #: something that already happened, ``from_now`` for a window that must be open to the public.
    when: str | None = None
    #: What the stated time may not precede: ``action:<id>`` (when that action last happened) or
    #: ``fact:<key>.<key>`` (an instant or date recorded in the facts).
    after: tuple[str, ...] = ()
    article: str = ""
    #: Each option's label, from the definition (``options: {id: {zh, en}}``); a flags field's are the flags'.
    option_labels: Mapping[str, Label] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ApprovalDef:
    """Who approves an action: taken by anyone else it is only a request until one of them confirms it."""

    by: tuple[str, ...]
    article: str = ""


@dataclass(frozen=True, slots=True)
class ActionDef:
    """An action: who may take it, from where, where it leads, what it checks and records."""

    id: str
    label: Label
    roles: tuple[str, ...]
    sources: tuple[str, ...]
    target: str | None
    effect: str
    guards: tuple[str, ...] = ()
    fields: Mapping[str, FieldDef] = field(default_factory=dict)
    outcome_field: str | None = None
    outcomes: Mapping[str, str] = field(default_factory=dict)
    signed: bool = False
    task: str | None = None
    #: The facts key this action's record lives under, and the states in which that record may be
    #: corrected (a correction appends a version; it never rewrites the earlier one).
    record: str | None = None
    correctable_in: tuple[str, ...] = ()
    #: An approval is an act, never a typed name: a person without one of these roles only requests the
    #: action; an approver of the same office confirms it with their own signature (``workflow.record.approvals``).
    approval: ApprovalDef | None = None
    #: Generic roles of this action (``MARKS``), and the outcomes that start a new linked decision of the
    #: same procedure (Art. 37: a major change runs the procedure again).
    marks: frozenset[str] = frozenset()
    new_decision_on: tuple[str, ...] = ()
    #: The guard and effect functions, resolved from their names when the definition loads.
    checks: tuple[Callable[..., Any], ...] = ()
    apply: Callable[..., None] | None = None

    def destination(self, outcome: str | None) -> str | None:
        """The state this action leads to for ``outcome`` (None: stays where it is)."""
        if self.outcome_field:
            return self.outcomes.get(outcome or "")
        return self.target


@dataclass(frozen=True, slots=True)
class DeadlineDef:
    """A statutory deadline: when it starts and ends, how it is counted, whom it concerns."""

    key: str
    label: Label
    article: str
    rule: Mapping[str, Any]
    starts_on: tuple[str, ...]
    closes_on: tuple[str, ...] = ()
    starts_when: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    recipients: tuple[str, ...] = ()
    reminders: tuple[Mapping[str, int], ...] = ()
    scope: str = "decision"
    #: States the deadline runs in (empty: all non-terminal ones); leaving them closes it.
    while_in: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MigrationDef:
    """How decisions of an older version of the same procedure move to this one (``migrates_from``).

    ``states`` maps old state ids to new ones (a state not listed keeps its id); ``rename`` and ``drop``
    name facts by key (``tasks.<id>`` for a task); ``start`` lists deadlines of this version started at the
    migration. ``lines`` remembers where each state mapping was written, for the catalogue's checks.
    """

    source: str
    states: Mapping[str, str] = field(default_factory=dict)
    rename: Mapping[str, str] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    start: tuple[str, ...] = ()
    line: int = 0
    lines: Mapping[str, int] = field(default_factory=dict)


def _no_inputs(facts: Mapping[str, Any]) -> list[str]:
    return []


@dataclass(frozen=True, slots=True)
class Hooks:
    """What a pack tells the engine and the read models beyond its YAML (``hooks.py`` of the pack)."""

    #: References of the inputs (comments, opinions) an adoption report must answer, from the facts.
    input_refs: Callable[[Mapping[str, Any]], list[str]] = _no_inputs
    #: The yearly catalogue's step columns (``workflow.views.catalogue.STEPS``) from the task statuses and
    #: facts; None: the columns stay empty for this procedure.
    catalogue_steps: Callable[[Mapping[str, Mapping[str, Any]], Mapping[str, Any]], dict[str, str]] | None = None


@dataclass(frozen=True, slots=True)
class Nouns:
    """A procedure's own words for its matter and its draft (Decree 713: 决策事项, 草案; a pack states its own)."""

    item: Label = Label("事项", "matter")
    draft: Label = Label("文本", "text")
    opinion: Label = Label("审查意见", "Review opinion")


@dataclass(frozen=True, slots=True)
class ProcedureDef:
    """One version of one procedure, as loaded and validated from its file."""

    id: str
    version: str
    effective_from: dt.date
    title: Label
    legal_basis: str
    initial: str
    states: Mapping[str, StateDef]
    flags: Mapping[str, FlagDef]
    tasks: Mapping[str, TaskDef]
    actions: Mapping[str, ActionDef]
    deadlines: Mapping[str, DeadlineDef]
    source: str = ""
    #: Older versions whose in-flight decisions may migrate to this one, by ``id@version``.
    migrates_from: Mapping[str, MigrationDef] = field(default_factory=dict)
    #: The pack (folder name) whose functions this definition's names resolved to, and its hooks.
    pack: str = ""
    hooks: Hooks = field(default_factory=Hooks)
    #: What the pages call one matter of this procedure and its draft (``nouns`` in the YAML).
    nouns: Nouns = field(default_factory=lambda: Nouns())
    #: The office settings this version declares (``settings:``), by key.
    settings: Mapping[str, SettingDef] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``id@version``, the name a decision pins."""
        return f"{self.id}@{self.version}"

    def terminal(self, state: str) -> bool:
        """True when ``state`` ends the procedure."""
        return self.states[state].terminal

    def actions_from(self, state: str) -> list[ActionDef]:
        """The actions that can be taken in ``state`` (before guards and roles)."""
        return [a for a in self.actions.values() if state in a.sources]

    def marked(self, mark: str) -> tuple[str, ...]:
        """The ids of the actions that carry ``mark`` (``MARKS``), in definition order."""
        return tuple(a.id for a in self.actions.values() if mark in a.marks)
