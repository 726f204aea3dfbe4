"""The one module-level Celery app: ``celery -A worker.celery_app worker|beat``."""

from config import load_settings
from worker.app import create_celery

app = create_celery(load_settings())
