"""Settings whose state, audit and vault databases are on the parametrised backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.privacy.runtime import privacy_service
from readiness.audit.privacy.service import PrivacyService
from readiness.config import Settings, load_settings
from readiness.storage import Stores


def url_of(engine: Any) -> str:
    return str(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def vault_url(backend: str, stores: Stores, tmp_path: Path) -> str:
    # On PostgreSQL the vault shares the test's schema (its tables and version table differ).
    return f"sqlite:///{tmp_path / 'vault.db'}" if backend == "sqlite" else url_of(stores.audit)


def make_settings(project_dir: Path, stores: Stores, vault_url: str, **privacy: object) -> Settings:
    return load_settings(
        project_dir,
        environ={},
        overrides={
            "state_url": url_of(stores.state),
            "audit_url": url_of(stores.audit),
            "vault_url": vault_url,
            "audit": {"privacy": privacy},
        },
    )


@pytest.fixture
def privacy_settings(project_dir: Path, stores: Stores, vault_url: str) -> Settings:
    return make_settings(project_dir, stores, vault_url)


@pytest.fixture
def service(
    privacy_settings: Settings, stores: Stores, clock: FrozenClock
) -> Iterator[PrivacyService]:
    with privacy_service(privacy_settings, clock, stores.audit, source="tests") as svc:
        yield svc
