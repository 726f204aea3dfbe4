"""Production mode (``JUECE_ENV=production``): the settings and data juece refuses to serve with.

One list of findings serves two edges: every process refuses to start under production while any
finding stands (``juece up``, the web app under gunicorn, the Celery worker and beat) and prints them
all; ``juece doctor`` prints the same list in any mode, so an operator sees beforehand what production
would refuse. A tester forged an administrator's session cookie offline from ``JUECE_SECRET_KEY=a``:
the secret is the key to every session, so it must be long, random and the operator's own.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from config.settings import Settings
from workflow.service import Juece

#: Bytes of secret below which a session key can be guessed or was typed by hand (256 bits).
MIN_SECRET_BYTES = 32
#: Distinct characters below which a long secret is still a pattern ("aaaa…", "12121212…").
MIN_SECRET_VARIETY = 8


@dataclass(frozen=True, slots=True)
class Finding:
    """One unsafe setting: a stable code, what is wrong in Chinese and English, and what resolves it."""

    code: str
    zh: str
    en: str
    fix: str

    def as_dict(self) -> dict[str, str]:
        """A machine-readable form (``juece doctor --json``)."""
        return {"code": self.code, "message_zh": self.zh, "message_en": self.en, "fix": self.fix}


class ProductionRefused(RuntimeError):
    """Production mode found unsafe settings; the message lists every finding."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__(describe(findings))
        self.findings = findings


def settings_findings(settings: Settings) -> list[Finding]:
    """What production would refuse in the settings alone (no database needed)."""
    out: list[Finding] = []
    secret = settings.secret_key
    if secret is None:
        out.append(Finding("secret_generated", "未设置 JUECE_SECRET_KEY：会话密钥是 juece 自行生成并存放在实例目录中的",
                           "JUECE_SECRET_KEY is not set: the session key is the one juece generated into the "
                           "instance folder", "set JUECE_SECRET_KEY to at least 32 random bytes, e.g. "
                           "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'`"))
    elif len(secret.encode("utf-8")) < MIN_SECRET_BYTES:
        out.append(Finding("secret_short", f"JUECE_SECRET_KEY 过短（少于 {MIN_SECRET_BYTES} 字节），可被离线猜出并伪造会话",
                           f"JUECE_SECRET_KEY is shorter than {MIN_SECRET_BYTES} bytes: it can be guessed offline "
                           "and sessions forged with it", "set JUECE_SECRET_KEY to at least 32 random bytes"))
    elif len(set(secret)) < MIN_SECRET_VARIETY:
        out.append(Finding("secret_weak", "JUECE_SECRET_KEY 字符重复，不是随机值",
                           "JUECE_SECRET_KEY repeats a few characters: it is not random",
                           "set JUECE_SECRET_KEY to at least 32 random bytes"))
    if not settings.cookie_secure:
        out.append(Finding("cookies_not_secure", "JUECE_COOKIE_SECURE 关闭：会话 Cookie 会经未加密的 http 发送",
                           "JUECE_COOKIE_SECURE is off: session cookies would travel over plain http",
                           "serve over https and unset JUECE_COOKIE_SECURE (or set it to 1)"))
    if settings.is_sqlite and not settings.allow_sqlite:
        out.append(Finding("sqlite_database", "数据库是 SQLite 文件（生产环境请用 PostgreSQL）",
                           "the database is a SQLite file (production runs on PostgreSQL)",
                           "set JUECE_DATABASE_URL=postgresql+psycopg://…, or JUECE_ALLOW_SQLITE=1 to accept it"))
    if settings.uses_embedded_broker and not settings.allow_sqlite:
        out.append(Finding("sqlite_broker", "任务队列是内置的 SQLite 文件（生产环境请用 Redis）",
                           "the task queue is the embedded SQLite file (production runs on Redis)",
                           "set JUECE_BROKER_URL=redis://…, or JUECE_ALLOW_SQLITE=1 to accept it"))
    return out


def data_findings(core: Juece, everyone: bool = False) -> list[Finding]:
    """What production would refuse in the data: the demo decision, people the demo password opens.

    A database without tables yet has neither (``juece up`` migrates after this check).
    """
    from workflow.demo import DEMO_PASSWORD, OFFICE, TITLE, demo_traces

    try:
        decision, people = demo_traces(core, everyone)
    except SQLAlchemyError:
        return []
    out: list[Finding] = []
    if decision:
        out.append(Finding("demo_data", f"数据库中有演示数据（{OFFICE}“{TITLE}”）",
                           f"the database holds the demo data ({OFFICE}, {TITLE})",
                           "use a fresh database for production (the demo is for trying juece out)"))
    if people:
        out.append(Finding("demo_password", f"演示密码 {DEMO_PASSWORD} 仍可登录：{'、'.join(people)}",
                           f"the demo password still signs in: {', '.join(people)}",
                           "deactivate these people (juece users deactivate NAME) or reset their passwords"))
    return out


def findings(settings: Settings, core: Juece | None = None, everyone: bool = False) -> list[Finding]:
    """Every finding production would refuse to start with (the data too when ``core`` is given)."""
    return settings_findings(settings) + (data_findings(core, everyone) if core is not None else [])


def describe(found: list[Finding]) -> str:
    """The findings as lines for a terminal or a log: code, both languages, the fix."""
    lines = [f"生产模式拒绝启动 / production mode refuses to start ({len(found)} finding(s)):"]
    for f in found:
        lines += [f"  [{f.code}] {f.zh}", f"      {f.en}", f"      fix: {f.fix}"]
    return "\n".join(lines)


def refuse_unsafe(settings: Settings, core: Juece | None = None) -> None:
    """Raise ``ProductionRefused`` naming every finding when production mode is on and anything is unsafe."""
    if not settings.production:
        return
    found = findings(settings, core)
    if found:
        raise ProductionRefused(found)


def exit_if_unsafe(settings: Settings, core: Juece | None = None) -> None:
    """At a process's start: under production, print every finding to stderr and exit 1 if there is any."""
    if not settings.production:
        return
    from config.runtime import open_core

    opened = core or open_core(settings)
    try:
        refuse_unsafe(settings, opened)
    except ProductionRefused as refused:
        print(refused, file=sys.stderr, flush=True)
        sys.exit(1)
    finally:
        if core is None:
            opened.db.dispose()
