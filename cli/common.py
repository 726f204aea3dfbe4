"""Shared pieces of the command line: the context object, output and error translation."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable
from typing import Any, NoReturn

import click

from config import Settings
from config.runtime import open_core
from workflow.engine.errors import WorkflowError
from workflow.record.keywrap import KdfParams
from workflow.service import Juece


class Ctx:
    """What every command receives: settings, the core (built lazily), the clock and (tests) the argon2 cost."""

    def __init__(self, settings: Settings, clock: Callable[[], dt.datetime] | None = None,
                 kdf: KdfParams | None = None) -> None:
        self.settings = settings
        self.clock = clock
        self.kdf = kdf
        self._core: Juece | None = None

    @property
    def core(self) -> Juece:
        """The application core for these settings."""
        if self._core is None:
            self._core = open_core(self.settings)
            if self.clock is not None:
                self._core.clock = self.clock
            if self.kdf is not None:
                self._core.kdf = self.kdf
        return self._core


    def close(self) -> None:
        """Release the database connections (the command is over)."""
        if self._core is not None:
            self._core.db.dispose()
            self._core = None


def emit(value: Any) -> None:
    """Print a JSON value (UTF-8, readable Chinese)."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2, default=str))


#: sysexits.h EX_TEMPFAIL: the database cannot be reached now; the same command may succeed later.
EXIT_UNAVAILABLE = 75


def fail_unavailable(error: Exception, as_json: bool = False) -> NoReturn:
    """Print that the database cannot be reached (nothing was done, or a retry will tell) and exit 75."""
    zh, en = "数据库暂时无法访问，请稍后重试", "the database cannot be reached right now; try again shortly"
    if as_json:
        emit({"ok": False, "error": {"code": "database_unavailable", "message_zh": zh, "message_en": en,
                                     "details": {"cause": str(error).splitlines()[0][:500]}}})
    else:
        click.echo(f"错误 / error: database_unavailable\n{zh}\n{en}\n({str(error).splitlines()[0][:500]})", err=True)
    sys.exit(EXIT_UNAVAILABLE)


def fail(error: WorkflowError, as_json: bool = False) -> NoReturn:
    """Print a refusal or error and exit 1."""
    if as_json:
        emit({"ok": False, "error": error.to_dict()})
    else:
        head = error.code + (f" · {error.article}" if error.article else "")
        if error.rule is not None:
            head += f" · rule {error.rule}"
        click.echo(f"拒绝 / refused: {head}\n{error.zh}\n{error.en}", err=True)
    sys.exit(1)



pass_ctx = click.make_pass_decorator(Ctx)


def _remember_json(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta["json"] = value  # meta is shared by the whole command chain: errors print as JSON too
    return value


json_option = click.option("--json", "as_json", is_flag=True, callback=_remember_json,
                           help="machine-readable JSON output")
