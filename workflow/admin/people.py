"""People by name. A name is unique within an office, not across offices, so every lookup by name is
office-qualified: by the office of the person asking (web, API), or by ``NAME@OFFICE`` where no office is
known yet (the command line). A bare name shared by several offices is refused as ambiguous, never guessed.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table, select

from workflow.engine.errors import InvalidInput, NotFound
from workflow.persistence.models import Org, User

U = cast(Table, User.__table__)
ORG = cast(Table, Org.__table__)

_PERSON = select(U, ORG.c.name.label("org_name"), ORG.c.settings).join(ORG, ORG.c.id == U.c.org_id)


class Named(str):
    """A person's name bound to their office: every lookup by it stays inside office ``org_id``.

    A plain ``str`` everywhere else (events, messages, templates), so a name read from a signed-in
    person can be passed wherever a name is taken without losing which office it belongs to.
    """

    org_id: int

    def __new__(cls, name: str, org_id: int) -> Named:
        """The name ``name`` of office ``org_id``."""
        self = super().__new__(cls, name)
        self.org_id = int(org_id)
        return self

    def __getnewargs__(self) -> tuple[str, int]:  # type: ignore[override]  # pickled with its office
        return str(self), self.org_id


class AmbiguousName(InvalidInput):
    """A bare name that people of more than one office bear: the office must be named (``NAME@OFFICE``)."""

    code = "ambiguous_name"


def office_of(name: str) -> int | None:
    """The office a name is bound to (a ``Named``), or None for a bare name."""
    return getattr(name, "org_id", None)


def named(row: Any) -> Named:
    """The name of a person row, bound to its office."""
    return Named(str(row.name), int(row.org_id))


def find_person(conn: Connection, name: str, org_id: int | None = None) -> Any:
    """The person called ``name`` in office ``org_id`` (or the name's own office), or None.

    Without an office: the only person of that name anywhere, else ``NAME@OFFICE`` split at its last
    ``@``; a name several offices use raises ``AmbiguousName``. The row has every user column, the
    office's name (``org_name``) and its ``settings``; inactive people are returned too.
    """
    office = org_id if org_id is not None else office_of(name)
    plain = str(name)
    if office is not None:
        row = conn.execute(_PERSON.where(U.c.name == plain, U.c.org_id == office)).first()
        person, at, office_name = plain.rpartition("@")
        if row is None and at and person:  # NAME@OFFICE of that very office
            row = conn.execute(_PERSON.where(U.c.name == person, U.c.org_id == office,
                                             ORG.c.name == office_name)).first()
        return row
    rows = conn.execute(_PERSON.where(U.c.name == plain).limit(2)).all()
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise AmbiguousName(f"有多个机关的人员名为“{plain}”，请写成“{plain}@机关名称”",
                            f"more than one office has someone named '{plain}': write it as '{plain}@OFFICE'",
                            details={"user": plain})
    person, at, office_name = plain.rpartition("@")
    if at and person:
        return conn.execute(_PERSON.where(U.c.name == person, ORG.c.name == office_name)).first()
    return None


def resolve_person(conn: Connection, name: str, org_id: int | None = None, *, field: str = "user",
                   active: bool = False) -> Any:
    """``find_person``, refusing with not_found when nobody (or, with ``active``, nobody active) answers."""
    row = find_person(conn, name, org_id)
    if row is None or (active and not row.active):
        details = {"user": str(name)} if field == "user" else {"field": field, "user": str(name)}
        raise NotFound(f"没有这个用户：{name}", f"no such user: {name}", details=details)
    return row


def person_id(conn: Connection, name: str, org_id: int | None = None) -> int | None:
    """The id of the person ``find_person`` finds, or None."""
    row = find_person(conn, name, org_id)
    return None if row is None else int(row.id)
