"""Read models: a decision as people see it (page, API and CLI alike), the inbox, the catalogue and what the
public may see. Reads only, never a write.

It may import ``workflow.engine``, ``workflow.timing``, ``workflow.record``, ``workflow.admin`` and
``workflow.persistence``; never ``workflow.service`` (it writes), Flask, Celery or an edge.
"""
