"""Notifications: signed webhooks (generic JSON or Slack-compatible), retried, logged.

Features emit events through :mod:`readiness.notify.service`; the worker
(:mod:`readiness.notify.worker`) delivers them. Receivers check a delivery with
:func:`verify_signature` (see docs/notifications.md)::

    from readiness.notify import verify_signature
    verify_signature(secret, request.headers["X-Readiness-Signature"], raw_body, now=now)
"""

from __future__ import annotations

from readiness.errors import WebhookSignatureError
from readiness.notify.core import SIGNATURE_HEADER, sign, verify_signature

__all__ = ["SIGNATURE_HEADER", "WebhookSignatureError", "sign", "verify_signature"]
