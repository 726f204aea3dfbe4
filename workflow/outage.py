"""A database that cannot be reached, as every edge tells it: which errors say so, and how long to wait.

The classification lives with the database (``workflow.persistence.db``); this module names it for the
edges, which answer it as "try again shortly" (503 with ``Retry-After``, a maintenance page, CLI exit 75)
and never import the database layer themselves.
"""

from __future__ import annotations

import psycopg
from sqlalchemy import exc

from workflow.persistence.db import RETRY_AFTER_SECONDS, unavailable

#: The exception classes a lost database raises (each still checked by ``unavailable``).
DATABASE_ERRORS: tuple[type[Exception], ...] = (exc.DBAPIError, exc.DisconnectionError, exc.TimeoutError,
                                                exc.PendingRollbackError, psycopg.Error)
#: Any failure of the database layer (a missing table, a bad URL, a refused connection).
DatabaseError = exc.SQLAlchemyError

__all__ = ["DATABASE_ERRORS", "RETRY_AFTER_SECONDS", "DatabaseError", "unavailable"]
