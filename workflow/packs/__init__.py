"""Procedure packs: one folder per procedure version (definition, guards, effects, rule texts); may import workflow.engine."""
