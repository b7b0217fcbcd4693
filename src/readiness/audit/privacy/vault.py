"""The identity vault: real identities ↔ pseudonyms, per-subject keys, the IP key.

A separate store (its own database, ``vault_url``) with its own key file
(``audit.privacy.vault_key_file``, 0600, never the ledger's key). Identities and keys are kept
encrypted under that key and subjects are found by a keyed digest, so the database alone names
no one. Erasure deletes the subject's row — identity and key — and leaves a tombstone holding
only the pseudonym; on SQLite the vault runs with ``secure_delete`` so the bytes are overwritten.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from readiness._common.clock import utc
from readiness.audit.privacy import crypto
from readiness.audit.privacy.tables import erasures, ip_keys, subjects
from readiness.errors import ConfigError, NotFoundError
from readiness.storage.engine import create_engine_for, is_sqlite
from readiness.storage.files import create_private_file
from readiness.storage.stores import ensure_schema

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

    from readiness._common.clock import Clock
    from readiness.config import Settings

Random = Callable[[int], bytes]
KEY_PREFIX = "readiness-vault-key-v1:"


def load_or_create_vault_key(path: Path) -> bytes:
    """The 32-byte vault key in ``path``; a missing file gets a new random key (0600)."""
    fresh = KEY_PREFIX + base64.b64encode(os.urandom(crypto.KEY_BYTES)).decode("ascii")
    create_private_file(path, (fresh + "\n").encode())
    try:
        text = path.read_text(encoding="ascii").strip()
        key = base64.b64decode(text.removeprefix(KEY_PREFIX), validate=True)
    except (OSError, UnicodeDecodeError, binascii.Error) as exc:
        raise ConfigError(f"cannot read the vault key file {path}: {exc}") from exc
    if not text.startswith(KEY_PREFIX) or len(key) != crypto.KEY_BYTES:
        raise ConfigError(
            f"the vault key file {path} does not hold a vault key ({KEY_PREFIX}<32 bytes base64>)"
        )
    return key


def _secure_delete(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA secure_delete=ON")  # erased keys are overwritten in the file
    cur.close()


def open_vault_engine(url: str) -> Engine:
    """An engine for the vault database, migrated to the vault schema."""
    engine = create_engine_for(url)
    if is_sqlite(engine):
        sa.event.listen(engine, "connect", _secure_delete)
    try:
        ensure_schema("vault", engine, url, migrate=True)
    except BaseException:
        engine.dispose()
        raise
    return engine


@dataclass(frozen=True)
class Subject:
    """One registered subject: its pseudonym and whether it was just created."""

    pseudonym: str
    created: bool


class Vault:
    """The identity vault over an engine; the key and the clock are given."""

    def __init__(
        self, engine: Engine, vault_key: bytes, clock: Clock, rand: Random = os.urandom
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._rand = rand
        self._index_key = crypto.derive(vault_key, "subject-index")
        self._wrap_key = crypto.derive(vault_key, "wrap")
        # Which key file the vault runs with (8 hex of a sub-key: tells keys apart, reveals none).
        self.key_id = crypto.derive(vault_key, "key-id")[:4].hex()

    @classmethod
    def open(cls, settings: Settings, clock: Clock) -> Vault:
        """The project's vault: ``vault_url`` and ``audit.privacy.vault_key_file``."""
        key_path = settings.path(settings.audit.privacy.vault_key_file)
        if key_path.resolve() == settings.path(settings.audit.key_file).resolve():
            raise ConfigError(
                f"audit.privacy.vault_key_file is the ledger's key file ({key_path}); the vault "
                "needs its own key: name another file"
            )
        key = load_or_create_vault_key(key_path)
        return cls(open_vault_engine(settings.resolved_vault_url), key, clock)

    def close(self) -> None:
        self.engine.dispose()

    # --- subjects ---------------------------------------------------------------------------

    def _wrap(self, secret: bytes, context: str) -> bytes:
        return crypto.wrap(self._wrap_key, self._rand(crypto.NONCE_BYTES), secret, context)

    def lookup(self, subject: str) -> str | None:
        """The pseudonym of ``subject``, or None when it is not registered (or was erased)."""
        index = crypto.subject_index(self._index_key, subject)
        with self.engine.connect() as conn:
            found = conn.scalar(
                sa.select(subjects.c.pseudonym).where(subjects.c.subject_index == index)
            )
        return None if found is None else str(found)

    def register(self, subject: str) -> Subject:
        """The pseudonym of ``subject``, created (with its own data key) when it has none."""
        index = crypto.subject_index(self._index_key, subject)
        for _ in range(3):  # a lost race with another registration, or a pseudonym collision
            existing = self.lookup(subject)
            if existing is not None:
                return Subject(existing, created=False)
            pseudonym = crypto.new_pseudonym(self._rand(crypto.PSEUDONYM_BYTES))
            row = {
                "pseudonym": pseudonym,
                "subject_index": index,
                "identity": self._wrap(subject.strip().encode(), f"identity {pseudonym}"),
                "data_key": self._wrap(self._rand(crypto.KEY_BYTES), f"data key {pseudonym}"),
                "created_at": self.clock.now(),
            }
            try:
                with self.engine.begin() as conn:
                    conn.execute(subjects.insert().values(**row))
            except IntegrityError:
                continue
            return Subject(pseudonym, created=True)
        raise ConfigError("could not register the subject: the vault keeps refusing the row")

    def identity(self, pseudonym: str) -> str | None:
        """The real identity behind ``pseudonym``; None when it resolves to no one."""
        with self.engine.connect() as conn:
            wrapped = conn.scalar(
                sa.select(subjects.c.identity).where(subjects.c.pseudonym == pseudonym)
            )
        if wrapped is None:
            return None
        return crypto.unwrap(self._wrap_key, bytes(wrapped), f"identity {pseudonym}").decode()

    def data_key(self, pseudonym: str) -> bytes | None:
        """The subject's AES-256 key (what seals its field values); None once erased."""
        with self.engine.connect() as conn:
            wrapped = conn.scalar(
                sa.select(subjects.c.data_key).where(subjects.c.pseudonym == pseudonym)
            )
        if wrapped is None:
            return None
        return crypto.unwrap(self._wrap_key, bytes(wrapped), f"data key {pseudonym}")

    def erased_at(self, pseudonym: str) -> datetime | None:
        """When ``pseudonym`` was erased; None if it never was."""
        with self.engine.connect() as conn:
            found = conn.scalar(
                sa.select(erasures.c.erased_at).where(erasures.c.pseudonym == pseudonym)
            )
        return None if found is None else utc(found)

    def find(self, subject_or_pseudonym: str) -> str:
        """The pseudonym named by a pseudonym or a subject; NotFoundError when none is known."""
        if crypto.is_pseudonym(subject_or_pseudonym.strip()):
            pseudonym = subject_or_pseudonym.strip()
            with self.engine.connect() as conn:
                known = conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(subjects)
                    .where(subjects.c.pseudonym == pseudonym)
                )
            if known:
                return pseudonym
        else:
            found = self.lookup(subject_or_pseudonym)
            if found is not None:
                return found
        # The subject is not echoed: error messages end up in logs.
        raise NotFoundError(
            "subject: no one by that name or pseudonym is in the identity vault (never "
            "registered, or already erased)"
        )

    def delete_subject(self, conn: Connection, pseudonym: str) -> None:
        """Delete the mapping and the key of ``pseudonym`` (in the caller's transaction)."""
        conn.execute(subjects.delete().where(subjects.c.pseudonym == pseudonym))
        conn.execute(erasures.insert().values(pseudonym=pseudonym, erased_at=self.clock.now()))

    def flush_erasure(self) -> None:
        """On SQLite, copy the write-ahead log into the file and truncate it: the old pages
        holding an erased key do not linger in ``vault.db-wal`` (best effort while others read)."""
        if is_sqlite(self.engine):
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- the IP key -------------------------------------------------------------------------

    def ip_key(self) -> tuple[str, bytes]:
        """``(key id, key)`` of the current IP key, created on first use."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(ip_keys.c.key_id, ip_keys.c.key).order_by(ip_keys.c.created_at.desc())
            ).first()
        if row is None:
            self.rotate_ip_key()
            return self.ip_key()
        key_id = str(row.key_id)
        return key_id, crypto.unwrap(self._wrap_key, bytes(row.key), f"ip key {key_id}")

    def rotate_ip_key(self) -> tuple[str | None, str]:
        """Make a new IP key and destroy every older one; ``(old key id, new key id)``.

        Hashes made with a destroyed key can never be recomputed: they become anonymous.
        """
        key_id = self._rand(crypto.IP_KEY_ID_HEX // 2).hex()
        wrapped = self._wrap(self._rand(crypto.KEY_BYTES), f"ip key {key_id}")
        with self.engine.begin() as conn:
            old = conn.scalar(sa.select(ip_keys.c.key_id).order_by(ip_keys.c.created_at.desc()))
            conn.execute(ip_keys.delete())
            conn.execute(
                ip_keys.insert().values(key_id=key_id, key=wrapped, created_at=self.clock.now())
            )
        self.flush_erasure()
        return (None if old is None else str(old)), key_id

    def hash_ip(self, ip: str) -> str:
        """``ip`` as the trail keeps it: ``hmac-sha256:<key id><hmac>`` under the current key."""
        key_id, key = self.ip_key()
        return crypto.ip_hmac(key, key_id, ip)
