"""redaction: key-name rules and validated value detectors, as one structlog processor.

from readiness.logs.redaction import Redactor
Redactor().text("mail bob@example.com from 203.0.113.42")
# 'mail [EMAIL] from 203.0.113.0/24'
"""

from __future__ import annotations

from readiness.logs.redaction.detectors import (
    DEFAULT_ENTROPY_THRESHOLD,
    Detector,
    default_detectors,
)
from readiness.logs.redaction.keys import (
    DEFAULT_IDENTIFIER_KEYS,
    DEFAULT_SENSITIVE_KEYS,
    KeyRules,
    key_words,
)
from readiness.logs.redaction.processor import REDACTED, Redactor
from readiness.logs.redaction.scanning import scan

__all__ = [
    "DEFAULT_ENTROPY_THRESHOLD",
    "DEFAULT_IDENTIFIER_KEYS",
    "DEFAULT_SENSITIVE_KEYS",
    "REDACTED",
    "Detector",
    "KeyRules",
    "Redactor",
    "default_detectors",
    "key_words",
    "scan",
]
