"""The one module-level Celery app: ``celery -A worker.celery_app worker|beat``."""

from config import settings_or_exit
from config.production import exit_if_unsafe
from worker.app import create_celery

_settings = settings_or_exit()
exit_if_unsafe(_settings)  # production mode: refuse to run (and say why) on an unsafe setting
app = create_celery(_settings)
