"""The composition root: build the application core from the settings (files, database, catalogue)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from config.settings import Settings
from workflow.catalog import default_catalog
from workflow.persistence.db import Database
from workflow.service import Juece


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


def open_core(settings: Settings) -> Juece:
    """The application core for these settings."""
    return Juece(Database(settings.database_url), default_catalog(settings.procedures_dir), instance_secret(settings))
