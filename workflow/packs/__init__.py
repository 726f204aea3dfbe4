"""Procedure packs: one folder per procedure version (``<id>_<version>`` as a Python name), each with its
``procedure.yaml`` and the functions its names resolve to (``guards.py``, ``effects.py``, ``tasks.py``,
``hooks.py``, ``rules.py``). ``workflow.engine.packs`` loads them; docs/writing-a-pack.md describes the format.

A pack may import ``workflow.engine``, the pure time modules (``workflow.timing.calendar``,
``workflow.timing.deadlines``, ``workflow.timing.timetruth``) and an older pack's functions, explicitly;
nothing else of ``workflow`` and no edge. Its behaviour is frozen with its version: a change is a new pack.
"""
