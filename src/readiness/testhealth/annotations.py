"""Who owns a test and which issue tracks its fix, held by the server (``th_test_annotations``).

The owner and the issue live apart from quarantine: a test has an owner whether or not it is
quarantined, and a new quarantine entry takes the test's owner when none is given. The checks
of what a user typed (:func:`clean_owner`, :func:`clean_issue`) and the rule for what becomes a
link (:func:`issue_href`: only ``http``/``https`` URLs, never ``javascript:``) are pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from readiness._common.clock import Clock, utc
from readiness.audit.service import record, relay_after_commit
from readiness.errors import InputError, NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.model import TestAnnotation
from readiness.testhealth.store import tables

OWNER_LENGTH = 200  # th_test_annotations.owner
ISSUE_LENGTH = 1000  # th_test_annotations.issue
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# An issue key: PAY-123, #42, shop/api#42, GH-7 (no spaces, no scheme, no markup).
_KEY = re.compile(r"#?[A-Za-z0-9][A-Za-z0-9_.#/+-]*")
ISSUE_HELP = "give a URL such as https://tracker.example/PAY-123 or a key such as PAY-123"


def clean_owner(value: str) -> str:
    """The owner as stored: one line, 1 to 200 characters (``@team``, a name, an address).

    >>> clean_owner("  @payments ")
    '@payments'
    """
    owner = value.strip()
    if not owner:
        raise InputError("an owner is required, e.g. @payments", details={"field": "owner"})
    if len(owner) > OWNER_LENGTH or _CONTROL.search(owner):
        raise InputError(
            f"owner {owner[:40]!r}: expected one line of at most {OWNER_LENGTH} characters",
            details={"field": "owner"},
        )
    return owner


def clean_issue(value: str) -> str:
    """The issue as stored: an ``http(s)`` URL with a host, or an issue key.

    Any other scheme (``javascript:``, ``data:``, ``file:``) is refused: an issue is shown as a
    link, and a link must never run script.

    >>> clean_issue("https://tracker.example/PAY-123")
    'https://tracker.example/PAY-123'
    >>> clean_issue("PAY-123")
    'PAY-123'
    """
    issue = value.strip()
    if not issue:
        raise InputError(f"an issue is required; {ISSUE_HELP}", details={"field": "issue"})
    if len(issue) > ISSUE_LENGTH or _CONTROL.search(issue) or " " in issue:
        raise InputError(
            f"issue {issue[:40]!r}: expected one word of at most {ISSUE_LENGTH} characters; "
            f"{ISSUE_HELP}",
            details={"field": "issue"},
        )
    if _SCHEME.match(issue):
        if issue_href(issue) is None:
            raise InputError(
                f"issue {issue[:40]!r}: only http and https links are accepted; {ISSUE_HELP}",
                details={"field": "issue"},
            )
        return issue
    if not _KEY.fullmatch(issue):
        raise InputError(
            f"issue {issue[:40]!r} is neither a link nor an issue key; {ISSUE_HELP}",
            details={"field": "issue"},
        )
    return issue


def issue_href(issue: str | None) -> str | None:
    """``issue`` when it is an ``http``/``https`` URL with a host (safe to link), else None.

    >>> issue_href("javascript:alert(1)") is None
    True
    """
    if not issue:
        return None
    try:
        parts = urlsplit(issue)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return issue
    return None


class AnnotationBook:
    """The owners and issue links of one project's tests; every change is audited."""

    def __init__(
        self,
        *,
        stores: Stores,
        clock: Clock,
        actor: str,
        project: str,
        require_known: Callable[[str], None],
    ) -> None:
        self.stores = stores
        self.clock = clock
        self.actor = actor
        self.project = project
        self._require_known = require_known

    def get(self, test_id: str) -> TestAnnotation | None:
        """The owner and issue of ``test_id``, or None when neither was ever set."""
        a = tables.test_annotations
        with self.stores.state.connect() as conn:
            row = conn.execute(
                sa.select(a).where(a.c.project == self.project, a.c.test_key == test_id)
            ).first()
        if row is None:
            return None
        return TestAnnotation(
            test_id=row.test_key,
            owner=row.owner,
            issue=row.issue,
            set_by=row.set_by,
            set_at=utc(row.set_at),
        )

    def set_owner(self, test_id: str, owner: str) -> TestAnnotation:
        """Make ``owner`` the owner of ``test_id`` (a known test) and record who did."""
        return self._set(test_id, "owner", clean_owner(owner), "tests.owner.set")

    def link_issue(self, test_id: str, issue: str) -> TestAnnotation:
        """Link ``issue`` (an http(s) URL or a key) to ``test_id`` and record who did."""
        return self._set(test_id, "issue", clean_issue(issue), "tests.issue.linked")

    def _known(self, test_id: str) -> None:
        try:
            self._require_known(test_id)
        except NotFoundError as exc:
            close = (exc.details or {}).get("closest") or []
            said = f"test {test_id!r} has not run in any ingested report of project "
            said += repr(self.project)
            hint = f"closest known: {', '.join(close)}" if close else "check the id"
            raise NotFoundError(
                f"{said}; {hint} (`readiness tests known` lists them)", details=exc.details
            ) from None

    def _record(self, conn: Connection, action: str, test_id: str, details: dict[str, Any]) -> None:
        record(
            conn,
            clock=self.clock,
            actor=self.actor,
            action=action,
            target_type="test",
            target_id=test_id,
            details=details,
        )

    def _set(self, test_id: str, column: str, value: str, action: str) -> TestAnnotation:
        self._known(test_id)
        previous = self.get(test_id)
        now = self.clock.now()
        values: dict[str, Any] = {column: value, "set_by": self.actor, "set_at": now}
        a = tables.test_annotations
        where = (a.c.project == self.project, a.c.test_key == test_id)
        details = {
            "project": self.project,
            column: value,
            "previous": getattr(previous, column) if previous else None,
        }
        try:
            with self.stores.state.begin() as conn:
                if not conn.execute(a.update().where(*where).values(**values)).rowcount:
                    conn.execute(
                        a.insert().values(project=self.project, test_key=test_id, **values)
                    )
                self._record(conn, action, test_id, details)
        except sa.exc.IntegrityError:
            # Another replica inserted the row between our update and insert: update it.
            with self.stores.state.begin() as conn:
                conn.execute(a.update().where(*where).values(**values))
                self._record(conn, action, test_id, details)
        relay_after_commit(self.stores, self.clock)
        found = self.get(test_id)
        assert found is not None  # written above
        return found
