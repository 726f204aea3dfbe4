"""The engine: procedure definitions as data, how they load and validate, the ``transitions`` machine built
from them, and the pure decision whether an action may be taken and what it changes (guards, effects,
rules, tasks, errors). Nothing here does I/O.

It may import the standard library, ``transitions``, ``yaml``, other ``workflow.engine`` modules and the pure
time modules ``workflow.timing.calendar``, ``workflow.timing.deadlines`` and ``workflow.timing.timetruth``; never
``workflow.persistence``, SQLAlchemy, Flask, Celery or an edge (``api``, ``cli``, ``worker``).
"""
