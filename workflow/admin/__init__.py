"""Administration: offices, people and names, sessions and lock-out, API tokens and their idempotency keys,
deputies, and the publication of the office's yearly catalogue.

It may import ``workflow.engine``, ``workflow.timing``, ``workflow.record``, ``workflow.persistence`` and
``workflow.service``; never Flask, Celery or an edge.
"""
