"""The identity vault on SQLite and PostgreSQL: pseudonyms, erasure, keys, the IP key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.privacy.crypto import ip_hmac_key_id, is_pseudonym
from readiness.audit.privacy.service import PrivacyService
from readiness.audit.privacy.tables import erasures, ip_keys, subjects
from readiness.audit.privacy.vault import Vault, load_or_create_vault_key
from readiness.audit.trail import open_ledger
from readiness.config import Settings
from readiness.errors import ConfigError, NotFoundError, PrivacyError
from readiness.storage import Stores

from .conftest import make_settings


def test_a_subject_gets_one_stable_pseudonym_whatever_its_case(service: PrivacyService) -> None:
    first, created = service.register("Ann@Example.org", by="alice")
    again, created_again = service.register("ann@example.org ", by="alice")

    assert is_pseudonym(first)
    assert (again, created, created_again) == (first, True, False)
    assert service.vault.lookup("ANN@EXAMPLE.ORG") == first
    assert service.vault.identity(first) == "Ann@Example.org"


def test_the_vault_database_holds_no_identity_in_the_clear(service: PrivacyService) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")

    with service.vault.engine.connect() as conn:
        row = conn.execute(sa.select(subjects)).all()
    dumped = repr(row).encode()

    assert b"ann@example.org" not in dumped
    assert b"alice" not in dumped
    assert {r.pseudonym for r in row} == {pseudonym, service.vault.lookup("alice")}


def test_erasure_deletes_the_mapping_and_the_key_and_leaves_a_tombstone(
    service: PrivacyService, clock: FrozenClock
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")

    erased, _ = service.erase("ann@example.org", by="alice")

    assert erased == pseudonym
    assert service.vault.lookup("ann@example.org") is None
    assert service.vault.identity(pseudonym) is None
    assert service.vault.data_key(pseudonym) is None
    assert service.vault.erased_at(pseudonym) == clock.now()
    with service.vault.engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(erasures)) == 1


def test_erasing_someone_unknown_is_not_found_and_does_not_echo_them(
    service: PrivacyService,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        service.erase("bob@example.org", by="alice")

    assert "bob" not in caught.value.message
    assert caught.value.message == (
        "subject: no one by that name or pseudonym is in the identity vault (never "
        "registered, or already erased)"
    )


def test_the_same_person_registered_after_erasure_gets_a_new_pseudonym(
    service: PrivacyService,
) -> None:
    old, _ = service.register("ann@example.org", by="alice")
    service.erase(old, by="alice")

    new, created = service.register("ann@example.org", by="alice")

    assert created is True
    assert new != old


def test_the_erasure_is_an_audit_event_by_pseudonym_only(
    service: PrivacyService, privacy_settings: Settings, stores: Stores, clock: FrozenClock
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    _, leaf = service.erase("ann@example.org", by="alice")

    ledger = open_ledger(privacy_settings, stores.audit, clock)
    try:
        entries = _entries(stores, privacy_settings)
    finally:
        ledger.close()
    event = json.loads(entries[leaf])

    assert event["action"] == "privacy.erase"
    assert event["target_id"] == pseudonym
    assert event["actor_id"] == service.vault.lookup("alice")
    assert all(b"ann@" not in e and b"alice" not in e for e in entries)


def _entries(stores: Stores, settings: Settings) -> list[bytes]:
    with stores.audit.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT entry FROM ledger_entries WHERE log = :log ORDER BY leaf_index"),
            {"log": settings.audit_origin},
        ).all()
    return [bytes(r[0]) for r in rows]


def test_rotating_the_ip_key_destroys_the_old_one_and_unlinks_old_hashes(
    service: PrivacyService,
) -> None:
    before = service.vault.hash_ip("203.0.113.7")
    old_id = ip_hmac_key_id(before)

    old, new = service.rotate_ip_key(by="alice")
    after = service.vault.hash_ip("203.0.113.7")

    assert old == old_id
    assert ip_hmac_key_id(after) == new
    assert after[20:] != before[20:]
    with service.vault.engine.connect() as conn:
        assert conn.execute(sa.select(ip_keys.c.key_id)).scalars().all() == [new]


def test_the_same_ip_under_one_key_links(service: PrivacyService) -> None:
    assert service.vault.hash_ip("203.0.113.7") == service.vault.hash_ip("203.0.113.7")


def test_a_vault_opened_with_another_key_refuses_to_name_anyone(
    service: PrivacyService, vault_url: str, clock: FrozenClock
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    other = Vault(service.vault.engine, bytes(32), clock)

    assert other.lookup("ann@example.org") is None  # another index key finds no one
    with pytest.raises(PrivacyError, match="does not open with this vault key"):
        other.identity(pseudonym)


def test_the_vault_key_file_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "vault.key"

    first = load_or_create_vault_key(path)

    assert load_or_create_vault_key(path) == first
    assert len(first) == 32
    assert path.stat().st_mode & 0o777 == 0o600


def test_the_vault_refuses_the_ledger_key_as_its_key(
    project_dir: Path, stores: Stores, vault_url: str, clock: FrozenClock
) -> None:
    settings = make_settings(
        project_dir, stores, vault_url, vault_key_file=".readiness/secrets/audit-ledger.key"
    )

    with pytest.raises(ConfigError, match=r"the vault needs its own key: name another file$"):
        Vault.open(settings, clock)


def test_an_identity_altered_in_the_vault_database_is_refused_not_shown(
    service: PrivacyService,
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    with service.vault.engine.begin() as conn:
        stored = conn.scalar(
            sa.select(subjects.c.identity).where(subjects.c.pseudonym == pseudonym)
        )
        assert stored is not None
        wrapped = bytearray(stored)
        wrapped[-1] ^= 1
        conn.execute(
            subjects.update()
            .where(subjects.c.pseudonym == pseudonym)
            .values(identity=bytes(wrapped))
        )

    with pytest.raises(PrivacyError, match=f"identity {pseudonym} does not open"):
        service.vault.identity(pseudonym)


def test_concurrent_registrations_of_one_subject_agree_on_one_pseudonym(
    service: PrivacyService,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=6) as pool:
        found = list(pool.map(lambda _: service.vault.register("ann@example.org"), range(12)))

    assert len({f.pseudonym for f in found}) == 1
    assert sum(f.created for f in found) == 1


def test_an_erased_key_is_gone_from_the_store_and_on_sqlite_from_its_files(
    service: PrivacyService, backend: str, vault_url: str
) -> None:
    pseudonym, _ = service.register("ann@example.org", by="alice")
    with service.vault.engine.connect() as conn:
        row = conn.execute(sa.select(subjects).where(subjects.c.pseudonym == pseudonym)).one()
    secrets = [bytes(row.data_key), bytes(row.identity), bytes(row.subject_index)]

    service.erase(pseudonym, by="alice")

    with service.vault.engine.connect() as conn:
        stored = conn.execute(sa.select(subjects.c.data_key, subjects.c.identity)).all()
    assert [bytes(v) in secrets for r in stored for v in r] == [False] * (2 * len(stored))
    if backend == "sqlite":  # PostgreSQL reclaims a deleted row's space at VACUUM
        path = Path(vault_url.removeprefix("sqlite:///"))
        files = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert [s in files for s in secrets] == [False, False, False]
