"""Failure kinds, message normalisation and fingerprints (pure functions).

The same failure in different CI runs should land in the same group even though its message
carries run-specific details (addresses, ids, temp paths, timings). ``normalise_message`` strips
those details and ``fingerprint`` names the group.
"""

from __future__ import annotations

import hashlib
import re

from readiness.testhealth.model import FailureKind

_TIMEOUT_TYPE = re.compile(r"(?:^|[.$])(?:\w*Timeout\w*|\w*DeadlineExceeded\w*)$", re.IGNORECASE)
_TIMEOUT_TEXT = re.compile(r"\btimed? ?out\b|deadline[ _]exceeded", re.IGNORECASE)
_CONNECTION_TYPE = re.compile(
    r"(?:^|[.$])(?:Connection\w*Error|ConnectException|gaierror|herror|"
    r"\w*ConnectionRefused\w*|UnknownHostException|NoRouteToHostException)$",
    re.IGNORECASE,
)
_CONNECTION_TEXT = re.compile(
    r"connection (?:refused|reset|aborted|failed)|ECONNREFUSED|ECONNRESET|ENOTFOUND|"
    r"name or service not known|temporary failure in name resolution|\bgaierror\b|"
    r"could not connect|failed to establish a new connection|ConnectionError",
    re.IGNORECASE,
)
_ASSERTION_TYPE = re.compile(
    r"(?:^|[.$])(?:AssertionError|AssertionFailedError|ComparisonFailure|"
    r"AssertionFailure|MultipleFailuresError)$|^org\.junit\.|^org\.opentest4j\.|^pytest\.fail$",
    re.IGNORECASE,
)
_ASSERTION_TEXT = re.compile(
    r"^\s*(?:E\s+)?assert\b|AssertionError|AssertionFailedError|expected\b.*\bbut was\b|"
    r"\bexpect\(|^\s*Expected:|org\.junit\.|opentest4j",
    re.IGNORECASE | re.MULTILINE,
)

# Lines that carry no information about *what* failed.
_NOISE_LINE = re.compile(
    r"^(?:Traceback \(most recent call last\):|self = <.*>|def \w+\(.*\):?|-+|=+)$"
)
_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b0x[0-9a-f]+\b", re.IGNORECASE)
_TMP_PATH = re.compile(
    r"(?:/private)?/(?:tmp|var/tmp|var/folders)/[^\s'\",:)\]]*"
    r"|[A-Za-z]:\\Users\\[^\\\s]+\\AppData\\Local\\Temp\\[^\s'\",:)\]]*"
    r"|\bpytest-of-[^\s'\",:)\]]*"
)
_QUOTED = re.compile(r"'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"")
_LONG_HEX = re.compile(r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{12,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_PYTEST_E_PREFIX = re.compile(r"^E\s+")
MAX_NORMALISED = 500


def classify_failure(failure_type: str | None, message: str | None) -> FailureKind:
    """The coarse kind of a failure; the exception type wins over words in the message."""
    kind = _classify_type(failure_type.strip()) if failure_type else None
    if kind is not None:
        return kind
    text = message or ""
    if _TIMEOUT_TEXT.search(text):
        return FailureKind.TIMEOUT
    if _CONNECTION_TEXT.search(text):
        return FailureKind.CONNECTION
    if _ASSERTION_TEXT.search(text):
        return FailureKind.ASSERTION
    return FailureKind.ERROR


def _classify_type(failure_type: str) -> FailureKind | None:
    if _TIMEOUT_TYPE.search(failure_type):
        return FailureKind.TIMEOUT
    if _CONNECTION_TYPE.search(failure_type):
        return FailureKind.CONNECTION
    if _ASSERTION_TYPE.search(failure_type):
        return FailureKind.ASSERTION
    # Anything else (OperationalError, RuntimeError, ...): the message decides.
    return None


def first_meaningful_line(text: str) -> str:
    """The first line of ``text`` that says something (not blank, not a traceback header)."""
    for raw in text.splitlines():
        line = _PYTEST_E_PREFIX.sub("", raw.strip())
        if line and not _NOISE_LINE.match(line):
            return line
    return ""


def normalise_message(msg: str | None) -> str:
    """The first meaningful line of ``msg`` with run-specific details replaced by placeholders."""
    line = first_meaningful_line(msg or "")
    line = _UUID.sub("<uuid>", line)
    line = _TMP_PATH.sub("<tmp>", line)
    line = _HEX.sub("<hex>", line)
    line = _QUOTED.sub("<str>", line)
    line = _LONG_HEX.sub("<hex>", line)
    line = _NUMBER.sub("<n>", line)
    return _SPACES.sub(" ", line).strip()[:MAX_NORMALISED]


def fingerprint(kind: FailureKind | str | None, normalised: str) -> str:
    """16 hex characters naming the failure group of ``(kind, normalised message)``."""
    payload = f"{kind or ''}\x00{normalised}".encode()
    return hashlib.sha256(payload).hexdigest()[:16]
