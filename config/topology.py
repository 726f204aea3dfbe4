"""The processes juece runs as, in one place: the command lines of web, worker, beat and migrate.

``juece up`` starts the worker and beat from here, the process-level system tests start them from here,
and ``docker-compose.yml`` spells out the same lists (``tests/test_topology.py`` compares them), so the
production topology runs exactly what the tests run. ``python`` is the interpreter: ``sys.executable``
on this machine, ``python`` in the image.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: The Celery application (``worker/celery_app.py``), for ``celery -A``.
CELERY_APP = "worker.celery_app"
#: The WSGI entry for gunicorn: the app factory, which reads its settings from the ``JUECE_*`` environment.
WSGI_APP = "api:create_app()"
#: Where the image keeps the instance folder (``JUECE_INSTANCE_DIR``): beat's schedule, generated keys.
IMAGE_INSTANCE_DIR = Path("/data")
#: The port the web process listens on inside the image.
WEB_PORT = 8000


def celery(python: str = sys.executable) -> list[str]:
    """``celery -A worker.celery_app`` run by ``python``."""
    return [python, "-m", "celery", "-A", CELERY_APP]


def worker_command(name: str = "juece", python: str = sys.executable) -> list[str]:
    """The ``celery worker`` command line juece runs (threads: the embedded broker is one SQLite file)."""
    return [*celery(python), "worker", "--pool=threads", "--concurrency=2", "--loglevel=INFO",
            f"--hostname={name}@%h", "--without-mingle", "--without-gossip"]


def beat_command(instance_dir: Path, suffix: str = "", python: str = sys.executable) -> list[str]:
    """The ``celery beat`` command line, with its schedule file in the instance folder."""
    return [*celery(python), "beat", "--loglevel=INFO",
            f"--schedule={Path(instance_dir) / f'celerybeat-schedule{suffix}'}"]


def web_command(bind: str = f"0.0.0.0:{WEB_PORT}", python: str = sys.executable, workers: int = 2) -> list[str]:
    """The gunicorn command line serving the app factory (threads per worker: requests wait on the database)."""
    return [python, "-m", "gunicorn", "--bind", bind, "--workers", str(workers), "--threads", "4",
            "--access-logfile", "-", WSGI_APP]


def migrate_command(juece: str = "juece") -> list[str]:
    """``juece db upgrade``: migrate the schema (and retire legacy keys) once, before any other process starts."""
    return [juece, "db", "upgrade"]
