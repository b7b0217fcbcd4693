"""Wiring for the surfaces: a :class:`PrivacyService` on the project's vault and audit trail."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from readiness.audit.privacy.overview import PrivacyOverview, read_overview
from readiness.audit.privacy.service import PrivacyService
from readiness.audit.privacy.vault import Vault, open_vault_engine
from readiness.audit.trail import open_ledger
from readiness.storage.engine import sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from readiness._common.clock import Clock
    from readiness.config import Settings


@contextmanager
def privacy_service(
    settings: Settings, clock: Clock, audit: Engine, *, source: str
) -> Iterator[PrivacyService]:
    """The privacy use cases, their events appended to the application trail on ``audit``."""
    vault = Vault.open(settings, clock)
    try:
        ledger = open_ledger(settings, audit, clock)
        try:
            yield PrivacyService(vault, ledger.append, settings.audit.privacy, source)
        finally:
            ledger.close()
    finally:
        vault.close()


@contextmanager
def security_log_engine(settings: Settings, vault: Vault) -> Iterator[Engine]:
    """The security log's database: the vault's own unless ``security_log_url`` names another."""
    url = settings.audit.privacy.security_log_url
    if url is None:
        yield vault.engine
        return
    engine = open_vault_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def vault_exists(settings: Settings) -> bool:
    """False for an embedded vault never created (nothing in it, and reading it must not
    create a vault and its key); a configured ``vault_url`` counts as existing."""
    vault_file = sqlite_path(settings.resolved_vault_url)
    return vault_file is None or vault_file.is_file()


def read_privacy_overview(settings: Settings, clock: Clock) -> PrivacyOverview | None:
    """The dashboard's privacy facts (counts and key ids, never an identity); None when the
    project has no vault yet."""
    if not vault_exists(settings):
        return None
    vault = Vault.open(settings, clock)
    try:
        with security_log_engine(settings, vault) as log:
            return read_overview(
                vault.engine,
                log,
                vault_key_id=vault.key_id,
                settings=settings.audit.privacy,
                now=clock.now(),
            )
    finally:
        vault.close()


def scheduled_purge(settings: Settings, audit: Engine, clock: Clock) -> int:
    """The security log's purge as the server's schedule runs it; lines deleted.

    An embedded vault that was never created is left alone (nothing to purge, and a server
    must not create a vault and its key just by starting).
    """
    if not vault_exists(settings):
        return 0
    with (
        privacy_service(settings, clock, audit, source="readiness.server") as service,
        security_log_engine(settings, service.vault) as db,
    ):
        return service.purge_security_log(db, by=None)
