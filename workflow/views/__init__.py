"""Read models: a decision as people see it (``decision``: page, API and CLI alike), the inbox, the catalogue,
documents, people and notices, and what the public may see. Reads only, never a write. The edges (``api``,
``cli``) read the database only through these (``tests/test_fences_edges.py``).

It may import ``workflow.engine``, ``workflow.timing``, ``workflow.record``, ``workflow.admin`` and
``workflow.persistence``; never ``workflow.service`` (it writes), Flask, Celery or an edge.
"""
