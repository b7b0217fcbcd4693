"""RFC 3161 anchoring against a local TSA (``openssl ts -reply``): checkpoints are timestamped,
the tokens stored and checked by verify; a swapped token, another CA, a forged byte or a missing
trust anchor fail verification with a clear error. SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from readiness._common.clock import FrozenClock
from readiness.audit.trail import open_ledger
from readiness.audit.verification.anchoring import list_timestamps, verify_timestamps
from readiness.audit.verification.rfc3161 import TimestampError, build_request, verify_token
from readiness.audit.verification.service import sign_checkpoint, verify_and_record
from readiness.config import Settings, load_settings
from readiness.errors import ConfigError, RemoteError
from readiness.storage import Stores
from tests.audittrail.test_verification_schedule import append
from tests.audittrail.tsa import LocalTsa, local_tsa, make_ca


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[LocalTsa]:
    with local_tsa(tmp_path / "tsa") as running:
        yield running


def with_tsa(stores: Stores, project_dir: Path, url: str, ca_file: Path | None) -> Settings:
    audit: dict[str, object] = {"tsa_url": url}
    if ca_file is not None:
        audit["tsa_ca_file"] = str(ca_file)
    return load_settings(
        project_dir,
        environ={},
        overrides={
            "state_url": stores.state.url.render_as_string(hide_password=False),
            "audit_url": stores.audit.url.render_as_string(hide_password=False),
            "audit": audit,
        },
    )


def checkpoint(settings: Settings, stores: Stores, clock: FrozenClock) -> int:
    ledger = open_ledger(settings, stores.audit, clock)
    try:
        return sign_checkpoint(settings, ledger, stores.audit).id
    finally:
        ledger.close()


def test_a_checkpoint_is_timestamped_stored_and_verified(
    stores: Stores, project_dir: Path, clock: FrozenClock, tsa: LocalTsa
) -> None:
    settings = with_tsa(stores, project_dir, tsa.url, tsa.ca_file)
    append(settings, stores, clock, 3)
    first = checkpoint(settings, stores, clock)
    append(settings, stores, clock, 2)
    second = checkpoint(settings, stores, clock)

    found = list_timestamps(stores.audit)
    assert sorted(found) == [first, second]
    assert [s.tsa_url for s in found[first]] == [tsa.url]
    assert len(tsa.requests) == 2
    assert verify_timestamps(settings, stores.audit) == []
    report, run = verify_and_record(settings, stores.audit, clock, trigger="cli")
    assert (report.errors, run.verified) == ([], True)


def test_a_token_moved_to_another_checkpoint_is_caught(
    stores: Stores, project_dir: Path, clock: FrozenClock, tsa: LocalTsa
) -> None:
    settings = with_tsa(stores, project_dir, tsa.url, tsa.ca_file)
    append(settings, stores, clock, 3)
    first = checkpoint(settings, stores, clock)
    append(settings, stores, clock, 1)
    second = checkpoint(settings, stores, clock)
    token = list_timestamps(stores.audit)[second][0].token
    with stores.audit.begin() as conn:
        conn.execute(
            sa.text("UPDATE ledger_checkpoint_timestamps SET token = :t WHERE checkpoint_id = :i"),
            {"t": token, "i": first},
        )

    assert verify_timestamps(settings, stores.audit) == [
        f"checkpoint {first}: the timestamp of {tsa.url}: the token's "
        "message imprint is not the SHA-256 of the checkpoint note: it timestamps something "
        "else"
    ]


def test_a_tsa_of_another_ca_is_refused_before_anything_is_stored(
    stores: Stores, project_dir: Path, clock: FrozenClock, tsa: LocalTsa, tmp_path: Path
) -> None:
    other = make_ca(tmp_path / "other", "Someone Else")
    settings = with_tsa(stores, project_dir, tsa.url, other)
    append(settings, stores, clock, 1)
    with pytest.raises(TimestampError, match="does not chain to a trusted CA"):
        checkpoint(settings, stores, clock)
    assert list_timestamps(stores.audit) == {}


def test_stored_tokens_without_a_trust_anchor_fail_verification(
    stores: Stores, project_dir: Path, clock: FrozenClock, tsa: LocalTsa
) -> None:
    settings = with_tsa(stores, project_dir, tsa.url, tsa.ca_file)
    append(settings, stores, clock, 1)
    checkpoint(settings, stores, clock)
    unanchored = with_tsa(stores, project_dir, tsa.url, None)
    [error] = verify_timestamps(unanchored, stores.audit)
    assert error.startswith(
        "1 checkpoint timestamps cannot be checked: audit.tsa_ca_file is not set"
    )


def test_a_forged_byte_in_a_token_is_caught(tmp_path: Path, tsa: LocalTsa) -> None:
    import httpx

    from readiness.audit.verification.rfc3161 import open_response

    digest = hashlib.sha256(b"note").digest()
    reply = httpx.post(
        tsa.url,
        content=build_request(digest, 7),
        headers={"Content-Type": "application/timestamp-query"},
    )
    token = open_response(reply.content, nonce=7)
    trusted = tsa.ca_file.read_bytes()
    assert verify_token(token, digest, trusted).tsa_subject == "CN=Readiness Test TSA"
    with pytest.raises(TimestampError, match="the response answers nonce 7, not the request's 8"):
        open_response(reply.content, nonce=8)
    forged = bytearray(token)
    forged[-5] ^= 0x01  # inside the signature, the token's last field
    with pytest.raises(TimestampError, match=r"^the token.s signature does not verify$"):
        verify_token(bytes(forged), digest, trusted)


def test_an_unreachable_tsa_is_a_remote_error_and_no_trust_anchor_a_config_error(
    stores: Stores, project_dir: Path, clock: FrozenClock, tsa: LocalTsa
) -> None:
    down = with_tsa(stores, project_dir, "http://127.0.0.1:9/tsa", tsa.ca_file)
    append(down, stores, clock, 1)
    with pytest.raises(RemoteError, match=r"the TSA http://127\.0\.0\.1:9/tsa did not answer"):
        checkpoint(down, stores, clock)
    with pytest.raises(ConfigError, match=r"^audit\.tsa_ca_file is not set"):
        checkpoint(with_tsa(stores, project_dir, tsa.url, None), stores, clock)
