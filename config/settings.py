"""The settings object: every knob juece has, read once from the environment.

Nothing here does I/O at import time; ``load_settings`` reads a mapping (``os.environ`` by default)
and returns a frozen object that the CLI, the web app and the worker receive explicitly.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ENVIRONMENTS = ("development", "production")


@dataclass(frozen=True, slots=True)
class Settings:
    """Runtime configuration for every juece process."""

    instance_dir: Path
    database_url: str
    broker_url: str
    timezone: str = "Asia/Shanghai"
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
    calendar_notice_from: tuple[int, int] = (11, 1)
    #: ``JUECE_ENV``: ``production`` refuses to start on an unsafe setting (``config.production``).
    environment: str = "development"
    #: ``JUECE_ALLOW_SQLITE=1``: production on SQLite files, allowed explicitly (one machine, one process).
    allow_sqlite: bool = False
    #: ``JUECE_COOKIE_SECURE``: None when unset (then Secure in production only).
    cookie_secure_setting: bool | None = None
    #: ``JUECE_OUTBOUND_ALLOW``: hosts, addresses or networks a webhook may reach over http or in private ranges.
    outbound_allow: tuple[str, ...] = ()

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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``JUECE_*`` variables, falling back to the embedded defaults."""
    env = os.environ if environ is None else environ
    instance = Path(env.get("JUECE_INSTANCE_DIR", "instance")).resolve()
    database_url = env.get("JUECE_DATABASE_URL") or f"sqlite:///{instance / 'juece.db'}"
    broker_url = env.get("JUECE_BROKER_URL") or f"sqla+sqlite:///{instance / 'broker.db'}"
    procedures = env.get("JUECE_PROCEDURES_DIR")
    environment = (env.get("JUECE_ENV") or "development").strip().lower()
    if environment not in ENVIRONMENTS:  # a typo must not quietly turn production mode off
        raise ValueError(f"JUECE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {environment!r}")
    return Settings(
        instance_dir=instance,
        database_url=database_url,
        broker_url=broker_url,
        timezone=env.get("JUECE_TIMEZONE", "Asia/Shanghai"),
        procedures_dir=Path(procedures) if procedures else None,
        secret_key=env.get("JUECE_SECRET_KEY") or None,
        scan_seconds=float(env.get("JUECE_SCAN_SECONDS", "10")),
        relay_seconds=float(env.get("JUECE_RELAY_SECONDS", "2")),
        smtp_host=env.get("JUECE_SMTP_HOST", ""),
        smtp_port=int(env.get("JUECE_SMTP_PORT", "25")),
        smtp_user=env.get("JUECE_SMTP_USER", ""),
        smtp_password=env.get("JUECE_SMTP_PASSWORD", ""),
        smtp_from=env.get("JUECE_SMTP_FROM", "juece@localhost"),
        smtp_starttls=env.get("JUECE_SMTP_STARTTLS", "").lower() in ("1", "true", "yes"),
        smtp_timeout_seconds=float(env.get("JUECE_SMTP_TIMEOUT_SECONDS", "10")),
        clock_file=Path(env["JUECE_CLOCK_FILE"]) if env.get("JUECE_CLOCK_FILE") else None,
        delivery_lease_seconds=float(env.get("JUECE_DELIVERY_LEASE_SECONDS", "60")),
        delivery_backoff_seconds=tuple(float(x) for x in env.get(
            "JUECE_DELIVERY_BACKOFF_SECONDS", "30,120,600,1800").split(",") if x.strip()),
        delivery_max_attempts=int(env.get("JUECE_DELIVERY_MAX_ATTEMPTS", "5")),
        calendar_notice_from=month_day(env.get("JUECE_CALENDAR_NOTICE_FROM", "11-01")),
        log_origin=env.get("JUECE_LOG_ORIGIN", "juece.local/decisions"),
        log_publish_seconds=float(env.get("JUECE_LOG_PUBLISH_SECONDS", "3600")),
        environment=environment,
        allow_sqlite=bool(flag(env.get("JUECE_ALLOW_SQLITE"))),
        cookie_secure_setting=flag(env.get("JUECE_COOKIE_SECURE")),
        outbound_allow=tuple(x.strip() for x in env.get("JUECE_OUTBOUND_ALLOW", "").split(",") if x.strip()),
    )
