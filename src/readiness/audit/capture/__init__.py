"""Capture that cannot be bypassed (handbook 20.2): the ASGI middleware, SQLAlchemy ORM capture,
PostgreSQL trigger capture, and the coverage report that proves every route is audited.

See docs/audit-capture.md.
"""

from readiness.audit.capture.context import RequestAudit, current_audit
from readiness.audit.capture.middleware import AuditMiddleware
from readiness.audit.capture.policy import (
    CapturePolicy,
    Category,
    Rule,
    Spec,
    audited,
    not_audited,
)
from readiness.audit.capture.sinks import AuditSink, LedgerSink, RecordingSink

__all__ = [
    "AuditMiddleware",
    "AuditSink",
    "CapturePolicy",
    "Category",
    "LedgerSink",
    "RecordingSink",
    "RequestAudit",
    "Rule",
    "Spec",
    "audited",
    "current_audit",
    "not_audited",
]
