"""The one table from the engine's errors to HTTP statuses, for the pages and the REST API alike.

The same refusal answers with the same status whichever edge it came through; a page shows the form again
with the message, the API a problem document, but neither picks a status of its own. The choices:

- ``StaleVersion`` → 412. The API sends the version it saw as ``If-Match`` (RFC 9110 §13.1.1: a failed
  condition is 412); a page's form carries the same version as a hidden field and is refused for the same
  reason, so it answers the same status (the page itself shows what changed and keeps the input).
- ``InvalidInput`` → 400: the input does not fit what the action takes (a missing or malformed field, a
  document that is not stored, a name nobody bears); the client must change what it sends.
- ``RuleViolation`` and ``CalendarMissing`` → 422: the input fits, and the law (a hard rule) or a missing
  official calendar refuses it (RFC 9110 §15.5.21: understood, and cannot be processed).
- ``ActionNotAllowed`` → 409: not possible in the decision's current state.
- ``Forbidden`` → 403, including a signing password that is missing or wrong (the signer is not proven).

Codes whose status differs from their class's are listed by code and win over the class.
"""

from __future__ import annotations

from workflow.admin.tokens import InvalidToken
from workflow.engine.errors import (
    ActionNotAllowed,
    AuditBroken,
    CalendarMissing,
    Forbidden,
    InvalidInput,
    NotFound,
    RuleViolation,
    StaleVersion,
    WorkflowError,
)

#: Codes whose status differs from their class's.
STATUS_BY_CODE: dict[str, int] = {
    "locked_out": 429,
    "already_exists": 409,
    "unknown_action": 404,
    "no_signing_key": 409,
    "idempotency_key_reused": 422,
    "idempotency_key_in_use": 409,
    "precondition_failed": 412,
    "payload_too_large": 413,
}
#: Each class's status, the first match wins (subclasses before their parents).
STATUS_BY_CLASS: list[tuple[type[WorkflowError], int]] = [
    (StaleVersion, 412),
    (InvalidToken, 401),
    (NotFound, 404),
    (InvalidInput, 400),
    (Forbidden, 403),
    (ActionNotAllowed, 409),
    (RuleViolation, 422),
    (CalendarMissing, 422),
    (AuditBroken, 409),
]
#: Any other engine error: refused as it stands.
DEFAULT_STATUS = 422


def status_of(error: WorkflowError) -> int:
    """The HTTP status of an engine error, the same for a page and for the API."""
    if error.code in STATUS_BY_CODE:
        return STATUS_BY_CODE[error.code]
    for cls, status in STATUS_BY_CLASS:
        if isinstance(error, cls):
            return status
    return DEFAULT_STATUS


__all__ = ["DEFAULT_STATUS", "STATUS_BY_CLASS", "STATUS_BY_CODE", "status_of"]
