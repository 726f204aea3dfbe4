"""Celery application factory. Deadlines live in the database; Celery only ever gets work due now.

Embedded default: kombu's SQLAlchemy transport on its own SQLite file (WAL), polled every 0.2 s.
Configured: Redis. The same tasks run on both; neither broker is trusted with anything durable.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import event
from sqlalchemy.engine import Engine

from config import Settings
from workflow.timing.calendar import SHANGHAI

_SQLITE_TUNED = False


def _tune_sqlite_broker() -> None:
    """WAL and a busy timeout for kombu's own engine (it builds it; we can only hook connects)."""
    global _SQLITE_TUNED
    if _SQLITE_TUNED:
        return
    _SQLITE_TUNED = True

    @event.listens_for(Engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            dbapi_conn.execute("PRAGMA busy_timeout=30000")

    # Transport options are passed to create_engine, so the poll interval is set on the class
    # (docs/architecture.md, "The embedded broker's traps", trap 1): the default 1 s would make every hop a second late.
    from kombu.transport import sqlalchemy as sqla_transport

    sqla_transport.Transport.polling_interval = 0.2


def create_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings``: tasks, beat schedule, reliability options."""
    app = Celery("juece", include=["worker.tasks"])
    app.conf.update(
        broker_url=settings.broker_url,
        task_ignore_result=True,
        result_backend=None,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        worker_hijack_root_logger=False,
        timezone=SHANGHAI.key,
        beat_schedule={
            "deadline-scan": {"task": "juece.scan_deadlines", "schedule": settings.scan_seconds},
            "outbox-relay": {"task": "juece.relay", "schedule": settings.relay_seconds},
            "broker-cleanup": {"task": "juece.cleanup_broker", "schedule": 3600.0},
        } | ({"tree-head": {"task": "juece.publish_tree_head", "schedule": settings.log_publish_seconds}}
             if settings.log_publish_seconds > 0 else {}),
        beat_schedule_filename=str(Path(settings.instance_dir) / "celerybeat-schedule"),
    )
    if settings.broker_url.startswith("sqla+sqlite"):
        path = Path(settings.broker_url.split("///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # stored in the file: once is enough
        _tune_sqlite_broker()
        app.conf.broker_transport_options = {"connect_args": {"timeout": 30}}
    elif settings.broker_url.startswith("redis"):
        # Longer than any task runs (not than any deadline: deadlines are never broker ETAs).
        app.conf.broker_transport_options = {"visibility_timeout": 300}
    app.conf.juece_settings = settings
    return app
