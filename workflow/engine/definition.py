"""Procedure definitions as immutable values: what a loaded ``procedures/*.yaml`` file becomes.

The loader (``workflow.engine.loader``) builds these after validating the file; nothing else constructs them.
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


@dataclass(frozen=True, slots=True)
class Label:
    """A name in Chinese (shown by default) and English."""

    zh: str
    en: str


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
