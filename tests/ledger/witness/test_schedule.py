"""The server's schedule publishes each new checkpoint with its cosignatures; a witness that is
down does not stop the signing and is tried again each round until it cosigned."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from readiness._common.clock import FrozenClock
from readiness.audit.events import entry_bytes, validate_event
from readiness.audit.trail import open_ledger
from readiness.audit.verification.service import scheduled_round
from readiness.config import Settings, load_settings
from readiness.storage import Stores
from tests._live import free_port
from tests.ledger.witness.conftest import LOG, WITNESS

EVENT = {
    "actor_id": "usr_0001",
    "actor_type": "user",
    "action": "invoice.update",
    "target_type": "invoice",
    "target_id": "inv_1",
    "result": "success",
    "occurred_at": "2026-04-10T14:23:01Z",
}


def settings_with(stores: Stores, project_dir: Path, witness_url: str) -> Settings:
    return load_settings(
        project_dir,
        environ={},
        overrides={
            "state_url": stores.state.url.render_as_string(hide_password=False),
            "audit_url": stores.audit.url.render_as_string(hide_password=False),
            "audit": {
                "witnesses": [
                    {"name": WITNESS.name, "url": witness_url, "key": WITNESS.verifier.vkey}
                ],
                "publish": {"file": "public/checkpoint"},
            },
        },
    )


def test_a_witness_down_is_retried_each_round_until_it_cosigned(
    stores: Stores,
    project_dir: Path,
    clock: FrozenClock,
    witness_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    key = project_dir / ".readiness" / "secrets" / "audit-ledger.key"
    key.parent.mkdir(parents=True)
    key.write_text(LOG.skey + "\n")
    down = settings_with(stores, project_dir, f"http://127.0.0.1:{free_port()}")
    up = settings_with(stores, project_dir, witness_url)
    ledger = open_ledger(down, stores.audit, clock)
    ledger.append([entry_bytes(validate_event(EVENT))])
    published = project_dir / "public" / "checkpoint"

    with caplog.at_level(logging.WARNING, logger="readiness.audit"):
        scheduled_round(down, stores, clock)
    first = published.read_text()
    scheduled_round(up, stores, clock)
    second = published.read_text()
    published.unlink()
    scheduled_round(up, stores, clock)  # done: nothing is published again

    [stored] = ledger.checkpoints()
    ledger.close()
    assert first == stored.note  # signed and published without the witness
    [warning] = caplog.records
    assert warning.getMessage().startswith(
        "readiness: audit publication of checkpoint 1: witness witness.example/w1: "
        "unreachable (ConnectError: "
    )
    assert second.startswith(stored.note)
    assert second.count("\u2014 witness.example/w1 ") == 1
    assert not published.exists()
