"""The security log: raw IPs apart from the trail, purged after their retention."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.privacy.runtime import scheduled_purge
from readiness.audit.privacy.securitylog import entries, purge, record_ip
from readiness.audit.privacy.service import PrivacyService
from readiness.config import load_settings
from readiness.errors import InputError
from readiness.storage import Stores

from .conftest import url_of


def test_the_raw_ip_goes_to_the_security_log_and_the_trail_gets_its_hmac(
    service: PrivacyService, clock: FrozenClock
) -> None:
    hashed = record_ip(
        service.vault.engine,
        service.vault,
        clock,
        ip="::ffff:203.0.113.7",
        action="authn_login_fail",
        request_id="req_1",
    )

    [line] = entries(service.vault.engine)
    assert (line.ip, line.ip_hmac, line.action, line.request_id) == (
        "203.0.113.7",
        hashed,
        "authn_login_fail",
        "req_1",
    )
    assert hashed == service.vault.hash_ip("203.0.113.7")


def test_a_line_is_kept_for_exactly_its_retention_and_purged_after(
    service: PrivacyService, clock: FrozenClock
) -> None:
    record_ip(service.vault.engine, service.vault, clock, ip="198.51.100.1", action="a")
    clock.advance(timedelta(microseconds=1))
    record_ip(service.vault.engine, service.vault, clock, ip="198.51.100.2", action="a")
    clock.advance(timedelta(days=30) - timedelta(microseconds=1))  # the first is 30 days old

    assert purge(service.vault.engine, clock, 30) == 0
    clock.advance(timedelta(microseconds=1))
    assert purge(service.vault.engine, clock, 30) == 1
    assert [e.ip for e in entries(service.vault.engine)] == ["198.51.100.2"]


def test_a_purge_by_an_operator_is_an_audit_event(
    service: PrivacyService, clock: FrozenClock
) -> None:
    record_ip(service.vault.engine, service.vault, clock, ip="198.51.100.1", action="a")
    clock.advance(timedelta(days=31))

    assert service.purge_security_log(service.vault.engine, by="alice") == 1


def test_what_is_not_an_ip_never_reaches_the_log(
    service: PrivacyService, clock: FrozenClock
) -> None:
    with pytest.raises(InputError, match=r"^ip: '10.0.0.999' is not an IPv4 or IPv6 address$"):
        record_ip(service.vault.engine, service.vault, clock, ip="10.0.0.999", action="a")

    assert entries(service.vault.engine) == []


def test_the_scheduled_purge_never_creates_an_embedded_vault(
    project_dir: Path, clock: FrozenClock, tmp_path: Path
) -> None:
    settings = load_settings(project_dir, environ={})

    purged = scheduled_purge(settings, None, clock)  # type: ignore[arg-type]

    assert purged == 0
    assert not (project_dir / ".readiness" / "vault.db").exists()
    assert not (project_dir / ".readiness" / "secrets" / "vault.key").exists()


def test_the_scheduled_purge_deletes_expired_lines(
    service: PrivacyService, stores: Stores, project_dir: Path, clock: FrozenClock, vault_url: str
) -> None:
    record_ip(service.vault.engine, service.vault, clock, ip="198.51.100.1", action="a")
    clock.advance(timedelta(days=7))
    settings = load_settings(
        project_dir,
        environ={},
        overrides={
            "state_url": url_of(stores.state),
            "audit_url": url_of(stores.audit),
            "vault_url": vault_url,
            "audit": {"privacy": {"security_log_days": 7}},
        },
    )

    assert scheduled_purge(settings, stores.audit, clock) == 0  # exactly 7 days: kept
    clock.advance(timedelta(seconds=1))
    assert scheduled_purge(settings, stores.audit, clock) == 1


def test_reading_raw_ips_needs_a_justification_and_is_recorded_first(
    service: PrivacyService, clock: FrozenClock
) -> None:
    from readiness.audit.privacy.service import PrivacyService as Service

    hashed = record_ip(service.vault.engine, service.vault, clock, ip="198.51.100.1", action="a")
    record_ip(service.vault.engine, service.vault, clock, ip="198.51.100.2", action="a")
    recorded: list[bytes] = []

    def append(entries: Sequence[bytes]) -> list[int]:
        recorded.extend(entries)
        return [0]

    svc = Service(service.vault, append, service.settings, "tests")
    with pytest.raises(InputError, match=r"^justification: required to read raw IPs; say why"):
        svc.read_security_log(service.vault.engine, None, by="alice")
    found = svc.read_security_log(service.vault.engine, "INC-5", by="alice", ip_hmac=hashed)

    assert [e.ip for e in found] == ["198.51.100.1"]
    [event] = [json.loads(e) for e in recorded]
    assert (event["action"], event["justification"], event["target_fields_accessed"]) == (
        "privacy.security_log_read",
        "INC-5",
        ["ip", "ip_hmac", "action", "occurred_at"],
    )
    assert b"198.51.100" not in recorded[0]


def test_the_server_sweeps_include_the_security_log_purge(project_dir: Path) -> None:
    from readiness.plugins.manager import builtin_plugin_manager

    settings = load_settings(project_dir, environ={})
    hook = builtin_plugin_manager().hook.readiness_notify_sweeps(settings=settings)
    names = [sweep.__name__ for group in hook for sweep in group]

    assert "security_log_purge" in names
