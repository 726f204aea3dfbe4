"""The record: the hash-chained audit trail, signatures and the keys only their holder can use, the
transparency log and its signed tree heads, back-entries, corrections and approvals, and verification.

It may import ``workflow.engine``, ``workflow.persistence``, ``workflow.admin`` (people, sessions),
``workflow.notices`` (alerts) and ``workflow.service`` (approved acts are carried out through it); never Flask,
Celery or an edge.
"""
