"""The golden story's stage: its office and people, a clock that only moves forward, and a driver that
snapshots every decision's state and facts after every event (``expected.json``)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from workflow.admin import offices as admin
from workflow.persistence.store import D
from workflow.record import keys
from workflow.record.signing import canonical
from workflow.service import Juece

CST = dt.timezone(dt.timedelta(hours=8))
#: The transparency log's origin line (its signed notes name it).
ORIGIN = "golden.juece.test/log"
#: The instance secret of the story's installation (it keys sessions and the log key's wrapping only).
SECRET = b"golden-secret"
OFFICE = "古塘街道"
#: Everyone's own password: it opens their signing key (a fixture, never a real credential).
PASSWORD = "golden-record-password"
PEOPLE: list[tuple[str, str, str]] = [
    ("王建国", "owner", "城建办"), ("李明华", "legal_reviewer", "司法所"), ("张晓燕", "legal_adviser", "律师事务所"),
    ("陈志强", "expert", "宁波大学"), ("刘芳", "expert", "规划院"), ("孙海峰", "chief_executive", "街道办事处"),
    ("周敏", "secretary", "党政综合办"), ("钱伟", "secretary", "党政综合办"), ("吴霞", "publisher", "党政综合办"),
    ("郑涛", "executor", "界牌村"), ("冯宁", "evaluator", "第三方评估机构"), ("居民甲", "public", ""),
    ("居民乙", "public", ""),
]


class Clock:
    """The story's clock: set to Shanghai local times, always forward."""

    def __init__(self, local: str) -> None:
        self.now = dt.datetime.fromisoformat(local).replace(tzinfo=CST).astimezone(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def set(self, local: str) -> None:
        """Move to a Shanghai local time 'YYYY-MM-DDTHH:MM' (never backwards)."""
        moment = dt.datetime.fromisoformat(local).replace(tzinfo=CST).astimezone(dt.UTC)
        if moment < self.now:
            raise ValueError(f"the story's clock would go back: {local}")
        self.now = moment


def at(local: str) -> str:
    """A Shanghai local time as a form sends it."""
    return dt.datetime.fromisoformat(local).replace(tzinfo=CST).isoformat()


class Story:
    """Drives the core and snapshots every decision's state and facts after every event it appends."""

    def __init__(self, core: Juece, clock: Clock) -> None:
        self.core, self.clock = core, clock
        self.steps: dict[int, dict[int, dict[str, Any]]] = {}
        self.names: dict[int, str] = {}

    def snap(self) -> None:
        """Record (state, facts fingerprint) at each decision's current version."""
        with self.core.db.read() as conn:
            for row in conn.execute(select(D.c.id, D.c.state, D.c.version, D.c.facts)):
                self.steps.setdefault(int(row.id), {})[int(row.version)] = {
                    "seq": int(row.version), "state": str(row.state),
                    "facts_sha256": hashlib.sha256(canonical(row.facts)).hexdigest()}

    def do(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call ``fn`` on the core, then snapshot."""
        result = fn(self.core, *args, **kwargs)
        self.snap()
        return result

    def create(self, name: str, procedure: str, title: str, flags: list[str]) -> int:
        """A new decision owned by 王建国, known in the records by ``name``."""
        did = self.core.create_decision(procedure, title, "王建国", flags)
        self.names[did] = name
        self.snap()
        return did

    def act(self, did: int, action: str, actor: str, data: dict[str, Any] | None = None, *, signed: bool = False,
            grant: int | None = None) -> Any:
        """One action; ``signed`` types the actor's password (a signed action, or a chief's approval)."""
        result = self.core.act(did, action, actor, data or {}, password=PASSWORD if signed else None, grant=grant)
        self.snap()
        return result


def people(core: Juece) -> None:
    """The office and its people, each with their own password (which issues their signing key)."""
    for name, role, unit in PEOPLE:
        admin.add_user(core, name, [role], OFFICE, unit=unit)
        keys.change_password(core, name, PASSWORD)

