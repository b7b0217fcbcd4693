"""Helpers for your own tests (like ``structlog.testing``): a frozen clock, in-memory stores,
a JUnit XML builder, a testhealth service on memory, and a capture of audit events.

Example::

    from readiness.testing import FrozenClock, junit_xml, memory_testhealth

    def test_my_ci_upload_marks_flaky(tmp_path):
        service = memory_testhealth(tmp_path)
        report = junit_xml({"tests/test_a.py::test_x": ["failed", "passed"]})
        service.ingest_bytes(report, source="r1.xml", meta=RunMeta(commit="c1"))
        ...
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import sqlalchemy as sa
from sqlalchemy.pool import StaticPool

from readiness._common.clock import Clock, FrozenClock
from readiness.audit.service import PlatformEvent, list_events
from readiness.config import load_settings
from readiness.storage.engine import Stores
from readiness.storage.migrate import upgrade_all
from readiness.testhealth.service import TestHealthService

__all__ = [
    "FrozenClock",
    "captured_audit_events",
    "junit_xml",
    "memory_stores",
    "memory_testhealth",
]

DEFAULT_INSTANT = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


def _foreign_keys_on(dbapi_conn: Any, _record: Any) -> None:
    # As on every Readiness SQLite database: cascades (project renames) need foreign keys.
    dbapi_conn.execute("PRAGMA foreign_keys=ON")


def _memory_engine() -> sa.Engine:
    # One shared connection: an in-memory SQLite database lives as long as its connection.
    engine = sa.create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    sa.event.listen(engine, "connect", _foreign_keys_on)
    return engine


def memory_stores(audit_origin: str = "memory/audit") -> Stores:
    """Migrated state and audit databases that live in memory (gone when disposed); the
    platform's audit events go to the log ``audit_origin``."""
    stores = Stores(state=_memory_engine(), audit=_memory_engine(), audit_origin=audit_origin)
    upgrade_all(stores)
    return stores


def memory_testhealth(
    root: Path, *, clock: Clock | None = None, actor: str = "test"
) -> TestHealthService:
    """A testhealth service for a project at ``root`` on in-memory stores."""
    settings = load_settings(root, environ={})
    return TestHealthService(
        settings=settings,
        stores=memory_stores(settings.audit_origin),
        clock=clock or FrozenClock(DEFAULT_INSTANT),
        actor=actor,
    )


def junit_xml(
    outcomes: Mapping[str, str | list[str]], *, suite: str = "pytest", seed: str | None = None
) -> bytes:
    """A pytest-style JUnit XML report: ``{"tests/test_a.py::test_x": "passed"}``.

    Outcomes are ``passed``, ``failed``, ``error`` or ``skipped``; a list gives the attempts of a
    rerun test in order (``["failed", "passed"]`` is a pass on retry, written Surefire-style).
    """
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(outcomes)))
    if seed is not None:
        props = ET.SubElement(ts, "properties")
        ET.SubElement(props, "property", name="readiness.seed", value=seed)
    for test_id, spec in outcomes.items():
        attempts = [spec] if isinstance(spec, str) else list(spec)
        path, _, name = test_id.rpartition("::")
        module = path.removesuffix(".py").replace("/", ".")
        case = ET.SubElement(ts, "testcase", classname=module, name=name, file=path, time="0.010")
        final = attempts[-1]
        kind = "flaky" if final == "passed" else "rerun"
        for earlier in attempts[:-1]:
            tag = f"{kind}Failure" if earlier == "failed" else f"{kind}Error"
            ET.SubElement(case, tag, message="assert False", type="AssertionError")
        if final in ("failed", "error"):
            el = ET.SubElement(case, "failure" if final == "failed" else "error")
            el.set("message", "assert False")
            el.text = "AssertionError: assert False"
        elif final == "skipped":
            ET.SubElement(case, "skipped", message="skipped")
        elif final != "passed":
            raise ValueError(f"junit_xml: unknown outcome {final!r} for {test_id}")
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml


def captured_audit_events(
    stores: Stores, *, action_prefix: str | None = None
) -> list[PlatformEvent]:
    """The platform's audit events recorded so far, oldest first (relayed from the outbox)."""
    return list(reversed(list_events(stores, limit=10_000, action_prefix=action_prefix)))
