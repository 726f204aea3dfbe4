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

    @property
    def uses_embedded_broker(self) -> bool:
        """True for kombu's SQLAlchemy transport on a local SQLite file (the no-server default)."""
        return self.broker_url.startswith("sqla+sqlite")

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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from ``JUECE_*`` variables, falling back to the embedded defaults."""
    env = os.environ if environ is None else environ
    instance = Path(env.get("JUECE_INSTANCE_DIR", "instance")).resolve()
    database_url = env.get("JUECE_DATABASE_URL") or f"sqlite:///{instance / 'juece.db'}"
    broker_url = env.get("JUECE_BROKER_URL") or f"sqla+sqlite:///{instance / 'broker.db'}"
    procedures = env.get("JUECE_PROCEDURES_DIR")
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
    )
