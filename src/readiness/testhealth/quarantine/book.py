"""The quarantine list of one project: the reviewed file and/or the server's table.

Every change is recorded twice: in ``th_quarantine_events`` (for the quarantine-size trend and
the history) and in the audit trail (who, when, why).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from difflib import SequenceMatcher, get_close_matches
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from readiness._common.canonical import to_jsonable
from readiness._common.clock import Clock, storable_date_problem, utc
from readiness.audit.service import record, relay_after_commit
from readiness.config import Settings
from readiness.errors import ConflictError, InputError, NotFoundError
from readiness.storage.engine import Stores
from readiness.testhealth.detection.model import QuarantineSpan
from readiness.testhealth.model import QuarantineEntry
from readiness.testhealth.store import tables

QuarantineBackend = Literal["file", "db"]

# Past this many candidate ids, only those sharing the typo's first characters are compared:
# difflib costs ~10 µs per candidate and a refusal should answer at once.
MAX_CANDIDATES = 20_000
FILE_CUTOFF = 0.8  # test ids share long prefixes: only a close file part counts
NAME_CUTOFF = 0.75
ALLOW_HINT = 'pass --allow-unknown (API: "allow_unknown": true)'


def closest_test_ids(test_id: str, known: Iterable[str], *, limit: int = 3) -> list[str]:
    """The known ids most like ``test_id``, best first (a typo's likely intent).

    ``file::name`` ids are compared by parts, so the long path they share does not make every
    test of a suite look alike: the same file (or the closest files), then the closest names.

    >>> closest_test_ids("tests/test_pay.py::test_webhok", ["tests/test_pay.py::test_webhook"])
    ['tests/test_pay.py::test_webhook']
    """
    keys = list(known)
    file_part, sep, name = test_id.partition("::")
    if not sep:
        candidates = keys
        if len(candidates) > MAX_CANDIDATES:
            candidates = [k for k in candidates if k[:8] == test_id[:8]][:MAX_CANDIDATES]
        return get_close_matches(test_id, candidates, n=limit, cutoff=NAME_CUTOFF)
    names_by_file: dict[str, list[str]] = {}
    for key in keys:
        key_file, key_sep, key_name = key.partition("::")
        if key_sep:
            names_by_file.setdefault(key_file, []).append(key_name)
    if file_part in names_by_file:
        files = [file_part]
    else:
        files = get_close_matches(file_part, names_by_file, n=limit, cutoff=FILE_CUTOFF)
    scored = [
        (SequenceMatcher(None, name, match).ratio(), f"{file}::{match}")
        for file in files
        for match in get_close_matches(name, names_by_file[file], n=limit, cutoff=NAME_CUTOFF)
    ]
    scored.sort(key=lambda pair: -pair[0])
    return [key for _score, key in scored[:limit]]


class QuarantineBook:
    """Quarantine entries of one project; ``backend`` says where new entries are written."""

    def __init__(
        self,
        *,
        settings: Settings,
        stores: Stores,
        clock: Clock,
        actor: str,
        backend: QuarantineBackend,
        project: str | None = None,
    ) -> None:
        self.settings = settings
        self.stores = stores
        self.clock = clock
        self.actor = actor
        self.backend = backend
        self.project = project or settings.project
        self.th = settings.testhealth

    def _file_path(self) -> Path:
        return self.settings.path(self.th.quarantine_file)

    def _db_entries(self) -> list[QuarantineEntry]:
        q = tables.quarantine
        with self.stores.state.connect() as conn:
            rows = conn.execute(
                sa.select(q)
                .where(q.c.project == self.project, q.c.removed_at.is_(None))
                .order_by(q.c.test_key)
            )
            return [
                QuarantineEntry(
                    test_id=r.test_key,
                    owner=r.owner,
                    reason=r.reason,
                    issue=r.issue,
                    created=utc(r.created_at),
                    expires=utc(r.expires_at),
                    created_by=r.created_by,
                    source="server",
                )
                for r in rows
            ]

    def entries(self) -> list[QuarantineEntry]:
        """The active quarantine list: the reviewed file plus entries held by the server."""
        from readiness.testhealth.quarantine.file import load_quarantine_file

        merged: dict[str, QuarantineEntry] = {e.test_id: e for e in self._db_entries()}
        for entry in load_quarantine_file(self._file_path()):
            merged[entry.test_id] = entry  # the reviewed file wins
        return [merged[k] for k in sorted(merged)]

    def _default_owner(self, test_id: str) -> str | None:
        from readiness.testhealth.quarantine.codeowners import find_codeowners, parse_codeowners

        found = find_codeowners(self.settings.root)
        if found is None:
            return None
        codeowners = parse_codeowners(found.read_text(encoding="utf-8"))
        owners = codeowners.owners_for(test_id.split("::", 1)[0])
        return owners[0] if owners else None

    def add(
        self,
        test_id: str,
        *,
        reason: str,
        owner: str | None = None,
        issue: str | None = None,
        expires: datetime | None = None,
        allow_unknown: bool = False,
    ) -> QuarantineEntry:
        """Quarantine ``test_id`` (it still runs; its failures stop blocking) and record why.

        An id no ingested run has shown is refused (a typo would quarantine nothing while the
        real test keeps failing) unless ``allow_unknown``.
        """
        if not reason.strip():
            raise InputError("quarantine needs a reason (--reason 'why it is quarantined')")
        if not allow_unknown:
            self.require_known(test_id)
        if self.backend == "db":
            self._refuse_reviewed(test_id, "quarantine add", f"--reason {reason.strip()!r}")
        if expires is not None and (problem := storable_date_problem(expires)):
            raise InputError(f"quarantine expiry: {problem}; give a later --expires date")
        now = self.clock.now()
        expiry = utc(expires) if expires else now + timedelta(days=self.th.quarantine_default_days)
        if expiry <= now:
            raise InputError(
                f"quarantine expiry {expiry.date().isoformat()} is not in the future; "
                "give a later --expires date"
            )
        entry = QuarantineEntry(
            test_id=test_id,
            owner=owner or self._default_owner(test_id),
            reason=reason.strip(),
            issue=issue,
            created=now,
            expires=expiry,
            created_by=self.actor,
            source=self.backend,
        )
        if self.backend == "file":
            from readiness.testhealth.quarantine.file import (
                add_entry,
                load_quarantine_file,
                write_quarantine_file,
            )

            path = self._file_path()
            write_quarantine_file(path, add_entry(load_quarantine_file(path), entry))
        else:
            q = tables.quarantine
            with self.stores.state.begin() as conn:
                conn.execute(
                    q.update()
                    .where(
                        q.c.project == self.project,
                        q.c.test_key == test_id,
                        q.c.removed_at.is_(None),
                    )
                    .values(removed_at=now, removed_by=self.actor, remove_reason="replaced")
                )
                conn.execute(
                    q.insert().values(
                        project=self.project,
                        test_key=test_id,
                        owner=entry.owner,
                        reason=entry.reason,
                        issue=issue,
                        created_at=now,
                        expires_at=expiry,
                        created_by=self.actor,
                    )
                )
        self._event(
            test_id,
            "add",
            reason,
            {
                "owner": entry.owner,
                "issue": issue,
                "expires": expiry,
                "backend": self.backend,
            },
        )
        return entry

    def remove(self, test_id: str, *, reason: str, action: str = "remove") -> None:
        """Take ``test_id`` out of quarantine and record why."""
        if self.backend == "file":
            from readiness.testhealth.quarantine.file import (
                load_quarantine_file,
                remove_entry,
                write_quarantine_file,
            )

            path = self._file_path()
            write_quarantine_file(path, remove_entry(load_quarantine_file(path), test_id))
        else:
            q = tables.quarantine
            with self.stores.state.begin() as conn:
                changed = conn.execute(
                    q.update()
                    .where(
                        q.c.project == self.project,
                        q.c.test_key == test_id,
                        q.c.removed_at.is_(None),
                    )
                    .values(
                        removed_at=self.clock.now(), removed_by=self.actor, remove_reason=reason
                    )
                ).rowcount
            if not changed:
                self._refuse_reviewed(test_id, "quarantine remove", "--reason WHY")
                raise NotFoundError(
                    f"test {test_id!r} is not quarantined; see `readiness tests quarantine list`"
                )
        self._event(test_id, action, reason, {"backend": self.backend})

    def _refuse_reviewed(self, test_id: str, command: str, options: str) -> None:
        """ConflictError when the reviewed file holds ``test_id``: the server cannot change it."""
        from readiness.testhealth.quarantine.file import load_quarantine_file

        if any(e.test_id == test_id for e in load_quarantine_file(self._file_path())):
            raise ConflictError(
                f"test {test_id!r} is quarantined in the reviewed file "
                f"{self.th.quarantine_file}, which the server does not change; in the "
                f"repository run `readiness tests {command} '{test_id}' {options}` and merge "
                "the change",
                details={"test_id": test_id, "file": str(self.th.quarantine_file)},
            )

    def require_known(self, test_id: str) -> None:
        """NotFoundError naming the closest known ids when no ingested run has shown ``test_id``."""
        t = tables.tests
        in_project = t.c.project == self.project
        with self.stores.state.connect() as conn:
            if conn.execute(
                sa.select(t.c.id).where(in_project, t.c.test_key == test_id).limit(1)
            ).first():
                return
            file_part = test_id.partition("::")[0]
            query = sa.select(t.c.test_key).where(in_project)
            known = list(
                conn.execute(
                    query.where(t.c.test_key.startswith(f"{file_part}::", autoescape=True))
                ).scalars()
            )
            if not known:  # a typo in the file part: compare against every known id
                known = list(conn.execute(query).scalars())
        close = closest_test_ids(test_id, known)
        said = f"test {test_id!r} has not run in any ingested report of project {self.project!r}"
        if close:
            raise NotFoundError(
                f"{said} (a typo?); closest known: {', '.join(close)}. To quarantine it anyway "
                f"(a test that has not run yet), {ALLOW_HINT}",
                details={"test_id": test_id, "closest": close},
            )
        raise NotFoundError(
            f"{said}, and no known test id is close to it; check the id "
            f"(`readiness tests known` lists them) or, to quarantine it anyway, {ALLOW_HINT}",
            details={"test_id": test_id, "closest": []},
        )

    def _event(self, test_id: str, action: str, reason: str, details: Mapping[str, Any]) -> None:

        payload = to_jsonable(dict(details))
        with self.stores.state.begin() as conn:
            conn.execute(
                tables.quarantine_events.insert().values(
                    project=self.project,
                    test_key=test_id,
                    action=action,
                    actor=self.actor,
                    at=self.clock.now(),
                    reason=reason,
                    details=payload,
                )
            )
            record(
                conn,
                clock=self.clock,
                actor=self.actor,
                action=f"tests.quarantine.{action}",
                target_type="test",
                target_id=test_id,
                details={"project": self.project, "reason": reason, **payload},
            )
        relay_after_commit(self.stores, self.clock)

    def history(self, *, test_id: str | None = None) -> list[dict[str, Any]]:
        """Who changed the quarantine list, when and why (newest first)."""
        ev = tables.quarantine_events
        query = sa.select(ev).where(ev.c.project == self.project).order_by(ev.c.id.desc())
        if test_id:
            query = query.where(ev.c.test_key == test_id)
        with self.stores.state.connect() as conn:
            return [
                {
                    "test_id": r.test_key,
                    "action": r.action,
                    "actor": r.actor,
                    "at": utc(r.at),
                    "reason": r.reason,
                    "details": r.details,
                }
                for r in conn.execute(query)
            ]

    # ------------------------------------------------- fix verification, classify

    def file_spans(self) -> tuple[QuarantineSpan, ...]:
        """Life spans of entries of the reviewed file, from the recorded changes.

        Entries written into the file by hand (no recorded change) count from their creation.
        """
        ev = tables.quarantine_events
        spans: list[QuarantineSpan] = []
        open_since: dict[str, datetime] = {}
        with self.stores.state.connect() as conn:
            rows = conn.execute(
                sa.select(ev.c.test_key, ev.c.action, ev.c.at, ev.c.details)
                .where(ev.c.project == self.project)
                .order_by(ev.c.at, ev.c.id)
            ).all()
        for key, action, at, details in rows:
            if (details or {}).get("backend", "file") != "file":
                continue
            if action == "add":
                open_since.setdefault(key, utc(at))
            elif key in open_since:
                spans.append(QuarantineSpan(key, open_since.pop(key), utc(at)))
        from readiness.testhealth.quarantine.file import load_quarantine_file

        for entry in load_quarantine_file(self._file_path()):
            spans.append(
                QuarantineSpan(entry.test_id, open_since.pop(entry.test_id, entry.created), None)
            )
        return tuple(spans)
