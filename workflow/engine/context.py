"""Value objects the engine reasons over: who acts, in which office, on which decision, when."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from workflow.engine.definition import ActionDef, ProcedureDef, SettingDef
from workflow.timing.calendar import WorkCalendar

#: The engine's own office settings and their defaults (docs/procedure/cn-713.md "Office settings" and
#: "Deadlines"; Art. 26 for the review limit). A pack's own settings are declared in its ``procedure.yaml``
#: (``settings:``, ``SettingDef``), not here.
DEFAULT_OFFICE_SETTINGS: Mapping[str, Any] = {
    "collective_body": "主任办公会议",
    "legality_review_unit": "司法所",
    "legality_review_days": 10,
    "stall_days": 20,
    "expert_opinions_min": 1,
    "escalation_working_days": 2,
    "supervisor": "",
    "webhook_url": "",
    "webhook_secret": "",
    "webhook_format": "json",
    # Witnesses of the transparency log (comma-separated): every signed tree head is sent to them.
    "witness_email": "",
    "witness_webhook": "",
}


@dataclass(frozen=True, slots=True)
class Deputy:
    """Acting for someone else (代理) under a chief executive's grant: whose role, which grant, until when."""

    grant: int
    principal_id: int
    principal: str
    principal_unit: str
    role: str
    until: str

    def as_record(self) -> dict[str, Any]:
        """The marker written into the event of every act under the grant."""
        return {"grant": self.grant, "for": {"id": self.principal_id, "name": self.principal}, "role": self.role,
                "until": self.until}


@dataclass(frozen=True, slots=True)
class Actor:
    """A person acting: their roles and unit are taken from the user record at the time.

    A deputy acts in their own name with only the granted role; ``deputy`` says for whom.
    """

    id: int
    name: str
    roles: frozenset[str]
    org_id: int
    unit: str = ""
    deputy: Deputy | None = None

    def as_record(self) -> dict[str, Any]:
        """The actor as it is written into an audit event."""
        return {"id": self.id, "name": str(self.name), "unit": self.unit, "roles": sorted(self.roles)}


@dataclass(frozen=True, slots=True)
class Office:
    """The deciding office (决策机关) and its own settings."""

    id: int
    name: str
    settings: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_OFFICE_SETTINGS))
    #: The pack-declared settings in force for it (``under``): read through their declaration.
    declared: Mapping[str, SettingDef] = field(default_factory=dict)

    def setting(self, key: str) -> Any:
        """A setting of this office: the one way rules, guards and predicates read one.

        A pack-declared setting is the office's value held within its declared range (the default when
        unset); an engine setting is the office's value or the engine default.
        """
        spec = self.declared.get(key)
        if spec is not None:
            return spec.held(self.settings.get(key))
        return self.settings.get(key, DEFAULT_OFFICE_SETTINGS.get(key))

    def under(self, declared: Mapping[str, SettingDef]) -> Office:
        """This office reading the settings ``declared`` (a procedure's) through their declarations."""
        if not declared or all(self.declared.get(k) is v for k, v in declared.items()):
            return self
        return replace(self, declared={**self.declared, **declared})


@dataclass(frozen=True, slots=True)
class DecisionView:
    """What the engine knows of a decision: state, version and the facts folded from its events."""

    id: int
    org_id: int
    owner_id: int
    procedure: ProcedureDef
    state: str
    version: int
    facts: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One attempt at an action, with everything a guard may look at."""

    decision: DecisionView
    action: ActionDef
    actor: Actor
    data: Mapping[str, Any]
    now: dt.datetime
    office: Office
    calendar: WorkCalendar
    #: True when the attempt corrects a record already made (a new version of it, Art. 33).
    correcting: bool = False

    @property
    def facts(self) -> Mapping[str, Any]:
        """Shortcut to the decision's facts."""
        return self.decision.facts


def utc_iso(moment: dt.datetime) -> str:
    """The one text form of an instant used in events and hashes (UTC, microseconds, 'Z')."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime where an instant is required")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> dt.datetime:
    """Parse an instant written by ``utc_iso`` (or any ISO form with an offset) to aware UTC."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"instant without a time zone: {text}")
    return value.astimezone(dt.UTC)
