"""The engine's errors: one root, stable codes, the rule and article, and messages in two languages.

Edges (CLI, web, API, worker) translate these once; nothing inside ``workflow/`` formats them for a
particular channel.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar


@dataclass(frozen=True, slots=True)
class Rule:
    """A statutory rule the engine enforces: its number in docs/procedure/cn-713.md ("Hard rules"), article and messages."""

    code: str
    article: str
    zh: str
    en: str
    number: int | None = None


G = TypeVar("G", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Enforced:
    """The rule a guard enforces and its terms (a number, or a function of the office for a setting)."""

    rule: Rule
    terms: Mapping[str, Any]


def enforces(rule: Rule, **terms: Any) -> Callable[[G], G]:
    """Declare on a guard the rule it enforces and its terms, so that a page can warn before the engine refuses."""

    def declare(guard: G) -> G:
        guard.enforces = Enforced(rule, terms)  # type: ignore[attr-defined]
        return guard

    return declare


def enforced(checks: Iterable[Callable[..., Any]]) -> list[Enforced]:
    """What the guards of an action declare they enforce (guards that declare nothing are left out)."""
    return [e for e in (getattr(c, "enforces", None) for c in checks) if isinstance(e, Enforced)]


class WorkflowError(Exception):
    """Root of every error the engine raises on purpose; ``code`` is stable and documented."""

    code = "workflow_error"

    def __init__(
        self,
        zh: str,
        en: str,
        *,
        code: str | None = None,
        article: str | None = None,
        rule: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(en)
        if code is not None:
            self.code = code
        self.zh = zh
        self.en = en
        self.article = article
        self.rule = rule
        self.details: dict[str, Any] = dict(details or {})

    def to_dict(self) -> dict[str, Any]:
        """A machine-readable form for ``--json`` output and problem documents."""
        out: dict[str, Any] = {"code": self.code, "message_zh": self.zh, "message_en": self.en}
        if self.article:
            out["article"] = self.article
        if self.rule is not None:
            out["rule"] = self.rule
        if self.details:
            out["details"] = self.details
        return out


class RuleViolation(WorkflowError):
    """An action refused by one of the procedure's hard rules."""

    code = "rule_violation"

    @classmethod
    def of(cls, rule: Rule, **details: Any) -> RuleViolation:
        """Build the refusal for ``rule``; ``details`` may fill ``{placeholders}`` in the messages."""
        return cls(
            rule.zh.format(**details) if details else rule.zh,
            rule.en.format(**details) if details else rule.en,
            code=rule.code,
            article=rule.article,
            rule=rule.number,
            details=details,
        )


class NotFound(WorkflowError):
    """A decision, user, procedure or document that does not exist (or is not visible)."""

    code = "not_found"


class InvalidInput(WorkflowError):
    """Input that does not fit the action's fields; ``details['field']`` names the field."""

    code = "invalid_input"


class Forbidden(WorkflowError):
    """The actor may not take this action (role, office or separation of duties)."""

    code = "forbidden"


class StaleVersion(WorkflowError):
    """The actor saw an older version of the decision than the one stored."""

    code = "stale_version"


class ActionNotAllowed(WorkflowError):
    """The action does not leave or stay in the decision's current state."""

    code = "action_not_allowed"


class CalendarMissing(WorkflowError):
    """A working-day computation needs a year for which no official calendar is on record."""

    code = "calendar_missing"

    def for_rule(self, rule: Rule) -> CalendarMissing:
        """The refusal of ``rule`` when its verdict needs the missing year: names the year, the rule and article."""
        year = int(self.details["year"])
        return CalendarMissing(
            f"{self.zh}（{rule.article}：没有该年日历，无法判断是否符合此规定）",
            f"{self.en} ({rule.article}: '{rule.code}' cannot be checked without it)",
            article=rule.article, rule=rule.number, details={"year": year, "check": rule.code})


class AuditBroken(WorkflowError):
    """A hash chain, document or signature does not verify."""

    code = "audit_broken"


@dataclass(slots=True)
class DefinitionProblem:
    """One problem found in a procedure definition file, located by file and line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(slots=True)
class DefinitionError(Exception):
    """A procedure definition that does not load; carries every problem found."""

    problems: list[DefinitionProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)
