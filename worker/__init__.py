"""The queue edge: the Celery application and its thin tasks (deadline scan, outbox relay, delivery)."""
