"""Time: China's official working days, statutory deadlines and how they are counted, deadlines awaiting a
missing calendar year, extensions and pauses, and the time truth of dates people state.

``calendar``, ``deadlines`` and ``timetruth`` are pure (the engine uses them) and import only ``workflow.engine``;
the others may import ``workflow.engine``, ``workflow.persistence``, ``workflow.record``, ``workflow.admin`` and
``workflow.service``. Never Flask, Celery or an edge.
"""
