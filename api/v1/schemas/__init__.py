"""The API's marshmallow schemas: they validate requests and, through flask-smorest and apispec, are the
OpenAPI document. Response schemas describe exactly what the views return.

The schemas live in a module per area; this package is their one namespace, so the route modules say
``s.DecisionDetail`` whatever the area."""

from __future__ import annotations

from api.v1.schemas.decisions import (
    ActionResultOut,
    AuditEventOut,
    AuditTrail,
    CommentEdit,
    CommentList,
    CommentOut,
    DeadlineOut,
    DecisionCreate,
    DecisionDetail,
    DecisionListQuery,
    DecisionPage,
    DecisionSummary,
    DocumentList,
    DocumentVersionOut,
    HistoryEntry,
    StoredDocument,
    TaskStatus,
    VerifyReport,
)
from api.v1.schemas.people import (
    AcknowledgementOut,
    IssuedTokenOut,
    MeOut,
    NotificationListQuery,
    NotificationOut,
    NotificationPage,
    TokenCreate,
    TokenList,
    TokenOut,
    UserCreate,
    UserList,
    UserOut,
)
from api.v1.schemas.procedures import (
    ActionOut,
    DeadlineDefOut,
    DiagramOut,
    DiagramQuery,
    FieldOut,
    FlagOut,
    ProcedureDetail,
    ProcedureList,
    ProcedureSummary,
    StateOut,
    TaskOut,
)
from api.v1.schemas.transport import (
    DATE_TIME,
    HEX64,
    IDEMPOTENCY_KEY,
    MAX_YEAR,
    MIN_YEAR,
    ActionHeaders,
    ConditionalGetHeaders,
    IdempotencyHeaders,
    Page,
    PageQuery,
    Problem,
    in_year_range,
    nullable_string,
)

__all__ = [
    "AcknowledgementOut", "ActionHeaders", "ActionOut", "ActionResultOut", "AuditEventOut", "AuditTrail",
    "CommentEdit", "CommentList", "CommentOut", "ConditionalGetHeaders", "DATE_TIME", "DeadlineDefOut", "DeadlineOut",
    "DecisionCreate", "DecisionDetail", "DecisionListQuery", "DecisionPage", "DecisionSummary", "DiagramOut",
    "DiagramQuery", "DocumentList", "DocumentVersionOut", "FieldOut", "FlagOut", "HEX64", "HistoryEntry",
    "IDEMPOTENCY_KEY", "IdempotencyHeaders", "IssuedTokenOut", "MAX_YEAR", "MIN_YEAR", "MeOut",
    "NotificationListQuery", "NotificationOut", "NotificationPage", "Page", "PageQuery", "Problem", "ProcedureDetail",
    "ProcedureList", "ProcedureSummary", "StateOut", "StoredDocument", "TaskOut", "TaskStatus", "TokenCreate",
    "TokenList", "TokenOut", "UserCreate", "UserList", "UserOut", "VerifyReport", "in_year_range", "nullable_string",
]
