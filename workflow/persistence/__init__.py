"""Persistence: the one subpackage of ``workflow`` that imports SQLAlchemy."""
