"""The engine: procedure definitions as data, how packs load and validate (``packs``, ``loader``), the
``transitions`` machine built from them, and the pure decision whether an action may be taken and what it
changes (the fold of events, task status, the engine's own rules, errors). Nothing here does I/O, and nothing
here names a procedure: guards, effects, task predicates and rule texts live in the packs
(``workflow/packs/``), which ``packs`` imports by folder name, never by an import statement.

It may import the standard library, ``transitions``, ``yaml``, other ``workflow.engine`` modules and the pure
time modules ``workflow.timing.calendar``, ``workflow.timing.deadlines`` and ``workflow.timing.timetruth``; never
``workflow.persistence``, SQLAlchemy, Flask, Celery or an edge (``api``, ``cli``, ``worker``).
"""
