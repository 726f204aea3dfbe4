"""The settings object: every knob juece has, read once from the environment.

Nothing here does I/O at import time; ``load_settings`` reads a mapping (``os.environ`` by default)
and returns a frozen object that the CLI, the web app and the worker receive explicitly. This is the only
module that reads the environment (``tests/test_settings.py`` keeps the list of the few exceptions), and
each default is written once, on its field below: the loader falls back to the field, never to a copy.

The time zone is not a setting. The procedures' periods end at 24:00 China Standard Time (民法典 art. 203)
and the working-day calendar is the State Council's; an operator's choice must not move a legal deadline,
and the officials who read the dates read them in the same zone. ``workflow.timing.calendar.SHANGHAI`` is
that zone, for counting and for display alike; ``JUECE_TIMEZONE`` naming any other is refused at start.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from workflow.timing.calendar import NOTICE_FROM_DEFAULT, SHANGHAI

ENVIRONMENTS = ("development", "production")


class SettingsError(ValueError):
    """A ``JUECE_*`` variable juece cannot use: every process refuses to start, naming it and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration for every juece process."""

    instance_dir: Path
    database_url: str
    broker_url: str
    procedures_dir: Path | None = None
    secret_key: str | None = None
    scan_seconds: float = 10.0
    relay_seconds: float = 2.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "juece@localhost"
    smtp_starttls: bool = False
    #: Seconds each SMTP step may take; the answer to the end of DATA may take the rest of the lease.
    smtp_timeout_seconds: float = 10.0
    delivery_lease_seconds: float = 60.0
    delivery_backoff_seconds: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0)
    delivery_max_attempts: int = 5
    #: The transparency log: its name in signed tree heads, and how often a head is published (0: never).
    log_origin: str = "juece.local/decisions"
    log_publish_seconds: float = 3600.0
    #: Drills and system tests only: a file holding the instant juece takes as "now".
    clock_file: Path | None = None
    #: (month, day) from which administrators get a daily notice while next year's holiday calendar is
    #: missing (``JUECE_CALENDAR_NOTICE_FROM=MM-DD``, default 11-01).
    calendar_notice_from: tuple[int, int] = NOTICE_FROM_DEFAULT
    #: ``JUECE_ENV``: ``production`` refuses to start on an unsafe setting (``config.production``).
    environment: str = "development"
    #: ``JUECE_ALLOW_SQLITE=1``: production on SQLite files, allowed explicitly (one machine, one process).
    allow_sqlite: bool = False
    #: ``JUECE_COOKIE_SECURE``: None when unset (then Secure in production only).
    cookie_secure_setting: bool | None = None
    #: ``JUECE_OUTBOUND_ALLOW``: hosts, addresses or networks a webhook may reach over http or in private ranges.
    outbound_allow: tuple[str, ...] = ()
    #: ``JUECE_TRUSTED_PROXIES``: how many reverse proxies in front of the web app to trust for X-Forwarded-*.
    trusted_proxies: int = 0
    #: ``JUECE_API_RATE_LIMIT``: the REST API's limit per token or address (Flask-Limiter notation).
    api_rate_limit: str = "600 per minute"
    #: ``JUECE_RATE_LIMIT_STORAGE``: where the API's counters live; empty: a Redis broker, else memory.
    rate_limit_storage: str = ""

    @property
    def uses_embedded_broker(self) -> bool:
        """True for kombu's SQLAlchemy transport on a local SQLite file (the no-server default)."""
        return self.broker_url.startswith("sqla+sqlite")

    @property
    def production(self) -> bool:
        """True under ``JUECE_ENV=production``."""
        return self.environment == "production"

    @property
    def cookie_secure(self) -> bool:
        """Whether session cookies carry ``Secure``: as set, else only in production."""
        return self.production if self.cookie_secure_setting is None else self.cookie_secure_setting

    @property
    def is_sqlite(self) -> bool:
        """True when the application database is a SQLite file."""
        return self.database_url.startswith("sqlite")


def month_day(text: str) -> tuple[int, int]:
    """A day of the year written MM-DD (e.g. 11-01), checked against a leap year's calendar."""
    try:
        month, day = (int(part) for part in text.strip().split("-"))
        dt.date(2028, month, day)
    except ValueError:
        raise ValueError(f"expected a day of the year as MM-DD (e.g. 11-01), got {text!r}") from None
    return month, day


def flag(text: str | None) -> bool | None:
    """A yes/no variable: None when unset or empty."""
    if text is None or not text.strip():
        return None
    return text.strip().lower() in ("1", "true", "yes", "on")


def _seconds_list(text: str) -> tuple[float, ...]:
    """Comma-separated seconds, at least one, none negative."""
    values = tuple(float(x) for x in text.split(",") if x.strip())
    if not values or min(values) < 0:
        raise ValueError(f"expected comma-separated seconds (e.g. 30,120,600), got {text!r}")
    return values


def _whole(text: str) -> int:
    """A whole number, 0 or more."""
    if not text.strip().isdigit():
        raise ValueError(f"expected a whole number, got {text!r}")
    return int(text)


#: Each field's default, written once on the field.
DEFAULTS: dict[str, Any] = {f.name: f.default for f in fields(Settings) if f.default is not MISSING}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``JUECE_*`` variables; an unset or empty one takes its field's default."""
    env = os.environ if environ is None else environ

    def read(name: str, field: str, parse: Callable[[str], Any] = str) -> Any:
        raw = env.get(name) or ""
        if not raw.strip():
            return DEFAULTS[field]
        try:
            return parse(raw)
        except ValueError as error:
            raise SettingsError(f"{name}: {error}") from None

    zone = (env.get("JUECE_TIMEZONE") or "").strip()
    if zone and zone != SHANGHAI.key:  # no longer a setting (module docstring): say so rather than ignore it
        raise SettingsError(f"JUECE_TIMEZONE: the procedures' deadlines and dates are China Standard Time "
                            f"({SHANGHAI.key}) by law and juece has no time zone setting; {zone!r} would not be "
                            "used: unset JUECE_TIMEZONE")
    instance = Path(env.get("JUECE_INSTANCE_DIR") or "instance").resolve()
    database_url = env.get("JUECE_DATABASE_URL") or f"sqlite:///{instance / 'juece.db'}"
    broker_url = env.get("JUECE_BROKER_URL") or f"sqla+sqlite:///{instance / 'broker.db'}"
    procedures = env.get("JUECE_PROCEDURES_DIR")
    environment = read("JUECE_ENV", "environment").strip().lower()
    if environment not in ENVIRONMENTS:  # a typo must not quietly turn production mode off
        raise SettingsError(f"JUECE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    return Settings(
        instance_dir=instance,
        database_url=database_url,
        broker_url=broker_url,
        procedures_dir=Path(procedures) if procedures else None,
        secret_key=env.get("JUECE_SECRET_KEY") or None,
        scan_seconds=read("JUECE_SCAN_SECONDS", "scan_seconds", float),
        relay_seconds=read("JUECE_RELAY_SECONDS", "relay_seconds", float),
        smtp_host=read("JUECE_SMTP_HOST", "smtp_host"),
        smtp_port=read("JUECE_SMTP_PORT", "smtp_port", int),
        smtp_user=read("JUECE_SMTP_USER", "smtp_user"),
        smtp_password=read("JUECE_SMTP_PASSWORD", "smtp_password"),
        smtp_from=read("JUECE_SMTP_FROM", "smtp_from"),
        smtp_starttls=read("JUECE_SMTP_STARTTLS", "smtp_starttls", lambda text: bool(flag(text))),
        smtp_timeout_seconds=read("JUECE_SMTP_TIMEOUT_SECONDS", "smtp_timeout_seconds", float),
        clock_file=Path(env["JUECE_CLOCK_FILE"]) if env.get("JUECE_CLOCK_FILE") else None,
        delivery_lease_seconds=read("JUECE_DELIVERY_LEASE_SECONDS", "delivery_lease_seconds", float),
        delivery_backoff_seconds=read("JUECE_DELIVERY_BACKOFF_SECONDS", "delivery_backoff_seconds", _seconds_list),
        delivery_max_attempts=read("JUECE_DELIVERY_MAX_ATTEMPTS", "delivery_max_attempts", int),
        calendar_notice_from=read("JUECE_CALENDAR_NOTICE_FROM", "calendar_notice_from", month_day),
        log_origin=read("JUECE_LOG_ORIGIN", "log_origin"),
        log_publish_seconds=read("JUECE_LOG_PUBLISH_SECONDS", "log_publish_seconds", float),
        environment=environment,
        allow_sqlite=bool(flag(env.get("JUECE_ALLOW_SQLITE"))),
        cookie_secure_setting=flag(env.get("JUECE_COOKIE_SECURE")),
        outbound_allow=tuple(x.strip() for x in env.get("JUECE_OUTBOUND_ALLOW", "").split(",") if x.strip()),
        trusted_proxies=read("JUECE_TRUSTED_PROXIES", "trusted_proxies", _whole),
        api_rate_limit=read("JUECE_API_RATE_LIMIT", "api_rate_limit"),
        # The older name is still read, so a deployment that set it keeps its shared counters.
        rate_limit_storage=env.get("JUECE_RATE_LIMIT_STORAGE") or env.get("JUECE_API_RATELIMIT_STORAGE_URI") or "",
    )


def settings_or_exit(environ: Mapping[str, str] | None = None) -> Settings:
    """At a process's start: the settings, or the variable at fault and why on stderr, and exit 1."""
    try:
        return load_settings(environ)
    except SettingsError as error:
        print(f"juece: {error}", file=sys.stderr, flush=True)
        raise SystemExit(1) from None
