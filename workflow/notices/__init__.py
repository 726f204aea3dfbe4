"""Notices: the deadline scan that turns due deadlines into reminders and alerts, the transactional outbox
that hands deliveries to the queue, and the rule for where juece may send.

It may import ``workflow.engine``, ``workflow.timing``, ``workflow.admin``, ``workflow.views`` (what the public
may see), ``workflow.persistence`` and ``workflow.service``; never Celery: the worker calls it, not the other way
round.
"""
