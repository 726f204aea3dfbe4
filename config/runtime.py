"""The composition root: build the application core from the settings (files, database, catalogue)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from config.settings import Settings
from workflow.engine.catalog import default_catalog
from workflow.notices.outbound import OutboundPolicy
from workflow.notices.outbox import DeliveryPolicy
from workflow.persistence.db import Database
from workflow.service import Juece, system_clock


def instance_secret(settings: Settings) -> bytes:
    """The instance secret that encrypts private keys at rest (created once, mode 0600)."""
    if settings.secret_key:
        return settings.secret_key.encode("utf-8")
    path = Path(settings.instance_dir) / "secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def file_clock(path: Path) -> Callable[[], dt.datetime]:
    """A clock set by writing an instant into ``path``; from there it runs at normal speed (drills, tests)."""

    def now() -> dt.datetime:
        stat = path.stat()
        text = path.read_text().strip()
        if not text:
            return system_clock()
        elapsed = dt.timedelta(seconds=max(0.0, time.time() - stat.st_mtime))
        return dt.datetime.fromisoformat(text).astimezone(dt.UTC) + elapsed

    return now


def delivery_policy(settings: Settings) -> DeliveryPolicy:
    """The outbox's lease, back-off and attempts as the settings say."""
    return DeliveryPolicy(dt.timedelta(seconds=settings.delivery_lease_seconds),
                          tuple(dt.timedelta(seconds=s) for s in settings.delivery_backoff_seconds),
                          settings.delivery_max_attempts)


def open_core(settings: Settings) -> Juece:
    """The application core for these settings."""
    core = Juece(Database(settings.database_url), default_catalog(settings.procedures_dir), instance_secret(settings),
                 outbound=OutboundPolicy(settings.outbound_allow))
    if settings.clock_file is not None:
        core.clock = file_clock(settings.clock_file)
    return core
