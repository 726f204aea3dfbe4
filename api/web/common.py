"""Helpers shared by the pages: the core, the language, local time, access checks, plain CSRF forms."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import urlsplit

import flask_login
from flask import abort, current_app, request, session
from flask_login import current_user

from api.web.labels import pick
from workflow.engine.context import Actor
from workflow.engine.definition import Label
from workflow.service import Juece
from workflow.timing.calendar import SHANGHAI
from workflow.views import people
from workflow.views.decision import decision_row
from workflow.views.inbox import actor_by_id, decision_view
from workflow.views.visibility import Viewer, may_see

F = TypeVar("F", bound=Callable[..., Any])
LANGS = ("zh", "en")


if TYPE_CHECKING:

    class FlaskForm:
        """Typing stand-in for ``flask_wtf.FlaskForm`` (the package ships no type information)."""

        def __init__(self, *args: Any, **kwargs: Any) -> None: ...
        def validate_on_submit(self) -> bool: ...
        def __getattr__(self, name: str) -> Any: ...
        def __getitem__(self, name: str) -> Any: ...
        def __iter__(self) -> Iterator[Any]: ...
        def __contains__(self, name: str) -> bool: ...
else:
    from flask_wtf import FlaskForm

#: ``flask_login.login_required`` with its type (the package ships no type information).
login_required: Callable[[F], F] = flask_login.login_required


class CsrfForm(FlaskForm):
    """A form with nothing but its CSRF token (sign-out, acknowledge, small buttons)."""


def core() -> Juece:
    """The application core of this app."""
    return cast(Juece, current_app.extensions["juece"])


def lang() -> str:
    """The person's language: Chinese by default, English when switched."""
    value = session.get("lang")
    return value if value in LANGS else "zh"


def label(value: Label | None, fallback: str = "") -> str:
    """A definition label in the person's language."""
    return pick(value, lang(), fallback)


def msg(error: Any) -> str:
    """An engine error's message in the person's language."""
    return str(error.en if lang() == "en" else error.zh)


def to_local(value: dt.datetime | str | None) -> dt.datetime | None:
    """An instant (aware datetime or ISO text) in Asia/Shanghai."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(SHANGHAI)


def local_time(value: dt.datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant shown in Asia/Shanghai."""
    moment = to_local(value)
    return moment.strftime(fmt) if moment else ""


def due_time(value: dt.datetime | str | None) -> str:
    """A due instant as people read it: a period ending at midnight is shown as 24:00 of its last day."""
    moment = to_local(value)
    if moment is None:
        return ""
    if moment.time() == dt.time(0):
        return (moment - dt.timedelta(days=1)).strftime("%Y-%m-%d") + " 24:00"
    return moment.strftime("%Y-%m-%d %H:%M")


def actor() -> Actor:
    """The signed-in person as the engine sees them (fresh from the database)."""
    user_id = int(current_user.id)
    with core().db.read() as conn:
        person = actor_by_id(conn, user_id)
    if person is None:
        abort(403)
    return person


def office_name(org_id: int) -> str:
    """The office's name."""
    with core().db.read() as conn:
        return people.office_name(conn, org_id)


def viewer_of(person: Actor) -> Viewer:
    """The person as ``workflow.views.visibility`` sees a viewer."""
    return Viewer(person.id, person.org_id, person.roles)


def load_decision(decision_id: int, person: Actor) -> Any:
    """The decision row and its engine view; another office's, or an internal one for a citizen, is a 404."""
    with core().db.read() as conn:
        row = decision_row(conn, decision_id)
    if row is None or not may_see(viewer_of(person), int(row.org_id), str(row.procedure_id), row.facts,
                                  core().clock(), core().catalog):
        abort(404)
    return row, decision_view(row, core().catalog)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Refuse (403) anyone who has none of ``roles``."""

    def wrap(view: F) -> F:
        @wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            if not set(roles) & set(getattr(current_user, "roles", ())):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, inner)

    return wrap


def safe_next(target: str | None, default: str) -> str:
    """A redirect target on this site only (no scheme, no host, no '//')."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def referrer_path(default: str) -> str:
    """The page the person came from, if it is on this site."""
    ref = request.referrer or ""
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.host:
        return default
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return safe_next(path or None, default)
