"""Publish checkpoints with their witness cosignatures (``[audit.publish]``).

:func:`publish_checkpoint` asks every configured witness to cosign a stored checkpoint, then
writes the cosigned note to ``audit.publish.file`` (atomically: a temporary file renamed over
it) and PUTs it to ``audit.publish.url``. A witness that is down or refuses does not stop the
publication: it is reported, and :func:`publish_due` (each round of ``readiness serve``'s
schedule) tries again until the newest checkpoint has every cosignature and was published as
it is now. What was last published in full is kept in ``.published`` in the checkpoint
directory.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from readiness._common.redact import mask_url, mask_urls
from readiness.errors import WitnessError
from readiness.ledger.witness.client import Outcome, WitnessTarget, collect, cosigners

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness.config import Settings
    from readiness.ledger.service import LedgerService
    from readiness.ledger.store import StoredCheckpoint

MARKER = ".published"
_log = logging.getLogger("readiness.audit")


@dataclass
class PublishReport:
    """One publication: the checkpoint, each witness's outcome, where it went, what failed."""

    checkpoint_id: int
    size: int
    note: str = ""
    outcomes: list[Outcome] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "checkpoint_id": self.checkpoint_id,
            "size": self.size,
            "witnesses": [
                {"name": o.witness, "ok": o.ok, "message": o.message} for o in self.outcomes
            ],
            "published": list(self.published),
            "errors": list(self.errors),
            "note": self.note,
        }


def witness_targets(settings: Settings) -> list[WitnessTarget]:
    """The configured witnesses (``[[audit.witnesses]]``), keys parsed."""
    return [WitnessTarget.parse(w.name, w.url, w.key) for w in settings.audit.witnesses]


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a reader sees the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    temporary.replace(path)


def put(http: httpx.Client, url: str, data: bytes) -> None:
    """PUT ``data`` to ``url``; a :class:`WitnessError` unless it answered 2xx."""
    try:
        answer = http.put(url, content=data, headers={"content-type": "text/plain"})
    except httpx.HTTPError as exc:
        reason = mask_urls(str(exc))
        raise WitnessError(f"PUT {mask_url(url)} failed: {type(exc).__name__}: {reason}") from None
    if not 200 <= answer.status_code < 300:
        raise WitnessError(f"PUT {mask_url(url)} answered HTTP {answer.status_code}")


def _marker(settings: Settings) -> Path:
    return settings.path(settings.audit.checkpoint_dir) / MARKER


def publish_checkpoint(
    settings: Settings,
    ledger: LedgerService,
    engine: Engine,
    stored: StoredCheckpoint,
    http: httpx.Client,
) -> PublishReport:
    """Collect cosignatures of ``stored``, then publish the cosigned note where configured."""
    report = PublishReport(stored.id, stored.size)
    report.outcomes = collect(ledger, engine, http, witness_targets(settings), stored)
    report.errors.extend(f"witness {o.witness}: {o.message}" for o in report.outcomes if not o.ok)
    report.note = ledger.cosigned_note(stored.id)
    data = report.note.encode()
    target = settings.audit.publish
    if target.file:
        path = settings.path(target.file)
        try:
            write_atomic(path, data)
            report.published.append(str(path))
        except OSError as exc:
            report.errors.append(f"cannot write {path}: {exc.strerror}")
    if target.url:
        try:
            put(http, target.url, data)
            report.published.append(mask_url(target.url))
        except WitnessError as exc:
            report.errors.append(exc.message)
    if not report.errors:
        write_atomic(_marker(settings), data)
    return report


def publish_due(
    settings: Settings, ledger: LedgerService, engine: Engine, http: httpx.Client
) -> PublishReport | None:
    """Publish the newest checkpoint unless it has every cosignature and was published as is."""
    audit = settings.audit
    if not (audit.witnesses or audit.publish.file or audit.publish.url):
        return None
    checkpoints = ledger.checkpoints()
    if not checkpoints:
        return None
    newest = checkpoints[-1]
    wanted = {(t.verifier.name, t.verifier.key_id) for t in witness_targets(settings)}
    marker = _marker(settings)
    published = marker.read_text(encoding="utf-8") if marker.is_file() else None
    if wanted <= cosigners(engine, newest.id) and published == ledger.cosigned_note(newest.id):
        return None
    return publish_checkpoint(settings, ledger, engine, newest, http)


def open_http(settings: Settings) -> httpx.Client:
    """The HTTP client of witness requests and publication (``audit.publish.timeout_s``)."""
    return httpx.Client(timeout=settings.audit.publish.timeout_s, follow_redirects=False)


def settings_quorum_errors(settings: Settings, engine: Engine) -> list[str]:
    """The checkpoints short of ``audit.witness_quorum`` cosignatures (``audit verify``)."""
    from readiness.ledger.witness.quorum import quorum_errors

    keys = [t.verifier for t in witness_targets(settings)]
    return quorum_errors(engine, settings.audit_origin, keys, settings.audit.witness_quorum)


def publish_round(settings: Settings, ledger: LedgerService, engine: Engine) -> None:
    """One round of the server's schedule: :func:`publish_due`, each problem logged."""
    audit = settings.audit
    if not (audit.witnesses or audit.publish.file or audit.publish.url):
        return
    with open_http(settings) as http:
        report = publish_due(settings, ledger, engine, http)
    if report is None:
        return
    for error in report.errors:
        _log.warning("readiness: audit publication of checkpoint %s: %s", report.size, error)


def witness_rows(settings: Settings, engine: Engine) -> list[dict[str, object]]:
    """The configured witnesses (URLs masked) and the largest size each has cosigned (None if
    it never did): what ``audit witnesses`` and ``GET /api/v1/audit/witnesses`` show."""
    from readiness.ledger.witness.client import last_cosigned

    sizes = last_cosigned(engine, settings.audit_origin)
    return [
        {
            "name": t.name,
            "url": mask_url(t.url),
            "key": t.verifier.vkey,
            "last_cosigned_size": sizes.get((t.verifier.name, t.verifier.key_id)),
        }
        for t in witness_targets(settings)
    ]
