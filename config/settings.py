"""The settings object: every knob juece has, read once from the environment.

Nothing here does I/O at import time; ``load_settings`` reads a mapping (``os.environ`` by default)
and returns a frozen object that the CLI, the web app and the worker receive explicitly.
"""

from __future__ import annotations

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

    @property
    def is_sqlite(self) -> bool:
        """True when the application database is a SQLite file."""
        return self.database_url.startswith("sqlite")


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
    )
