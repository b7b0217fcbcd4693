"""Collecting cosignatures from real witnesses over HTTP, and publishing the cosigned note;
the ledger on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI, Request, Response

from readiness._common.clock import FrozenClock
from readiness.config import Settings, load_settings
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import leaf_hash, root_from_nodes
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.service import LedgerService
from readiness.ledger.witness.client import WitnessTarget, collect, last_cosigned
from readiness.ledger.witness.protocol import AddCheckpoint
from readiness.ledger.witness.publish import publish_checkpoint, publish_due
from readiness.ledger.witness.quorum import quorum_errors
from readiness.ledger.witness.server import Witness, WitnessState, create_app
from readiness.storage.engine import Stores
from tests._live import free_port, live_server
from tests.ledger.witness.conftest import LOG, ORIGIN, OTHER, WITNESS, entries


def target(url: str, signer: object = WITNESS) -> WitnessTarget:
    key = WITNESS.verifier.vkey if signer is WITNESS else OTHER.verifier.vkey
    name = key.split("+")[0]
    return WitnessTarget.parse(name, url, key)


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def test_each_checkpoint_is_cosigned_from_the_size_the_witness_last_cosigned(
    ledger: LedgerService, stores: Stores, witness_url: str, http: httpx.Client
) -> None:
    ledger.append(entries(5))
    first = ledger.checkpoint()
    ledger.append(entries(7, start=5))
    second = ledger.checkpoint()

    one = collect(ledger, stores.audit, http, [target(witness_url)], first)
    two = collect(ledger, stores.audit, http, [target(witness_url)], second)
    again = collect(ledger, stores.audit, http, [target(witness_url)], second)

    assert [(o.ok, o.message) for o in one + two + again] == [
        (True, "cosigned size 5"),
        (True, "cosigned size 12"),
        (True, "cosigned size 12 already"),
    ]
    opened = open_checkpoint(
        ledger.cosigned_note(second.id), LOG.verifier, witnesses=[WITNESS.verifier]
    )
    assert [s.name for s in opened.note.verified] == [ORIGIN, WITNESS.name]
    assert last_cosigned(stores.audit, ORIGIN) == {(WITNESS.name, WITNESS.key_id): 12}


def test_a_409_is_retried_once_with_the_proof_from_the_size_the_witness_knows(
    ledger: LedgerService, stores: Stores, witness: Witness, witness_url: str, http: httpx.Client
) -> None:
    ledger.append(entries(5))
    first = ledger.checkpoint()
    witness.add_checkpoint(AddCheckpoint(0, (), first.note).encode())  # not stored here
    ledger.append(entries(7, start=5))
    second = ledger.checkpoint()

    [outcome] = collect(ledger, stores.audit, http, [target(witness_url)], second)

    assert (outcome.ok, outcome.message) == (True, "cosigned size 12")


def test_a_witness_that_is_down_is_reported_and_the_others_still_cosign(
    ledger: LedgerService, stores: Stores, witness_url: str, http: httpx.Client
) -> None:
    ledger.append(entries(3))
    stored = ledger.checkpoint()
    down = WitnessTarget.parse(OTHER.name, f"http://127.0.0.1:{free_port()}", OTHER.verifier.vkey)

    outcomes = collect(ledger, stores.audit, http, [down, target(witness_url)], stored)

    assert [(o.witness, o.ok) for o in outcomes] == [(OTHER.name, False), (WITNESS.name, True)]
    assert outcomes[0].message.startswith("unreachable (ConnectError: ")


def test_a_witness_answering_under_another_name_is_refused(
    ledger: LedgerService, stores: Stores, witness_url: str, http: httpx.Client
) -> None:
    ledger.append(entries(3))
    stored = ledger.checkpoint()
    wrong = WitnessTarget.parse(OTHER.name, witness_url, OTHER.verifier.vkey)

    [outcome] = collect(ledger, stores.audit, http, [wrong], stored)

    assert (outcome.ok, outcome.message) == (
        False,
        "answered without a cosignature line of its own name",
    )
    assert ledger.cosigned_note(stored.id) == stored.note


def test_quorum_errors_name_each_checkpoint_short_of_cosignatures_at_the_threshold(
    ledger: LedgerService, stores: Stores, witness_url: str, http: httpx.Client
) -> None:
    ledger.append(entries(3))
    stored = ledger.checkpoint()
    keys = [WITNESS.verifier, OTHER.verifier]
    before = quorum_errors(stores.audit, ORIGIN, keys, 1)
    collect(ledger, stores.audit, http, [target(witness_url)], stored)

    assert before == [
        f"checkpoint {stored.id} (size 3) has 0 witness cosignatures of the 1 "
        "audit.witness_quorum requires"
    ]
    assert quorum_errors(stores.audit, ORIGIN, keys, 0) == []
    assert quorum_errors(stores.audit, ORIGIN, keys, 1) == []
    assert quorum_errors(stores.audit, ORIGIN, keys, 2) == [
        f"checkpoint {stored.id} (size 3) has 1 witness cosignature of the 2 "
        "audit.witness_quorum requires"
    ]


class Receiver:
    """An HTTP server that keeps what is PUT to /checkpoint (or answers ``status``)."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.status = 204
        self.app = FastAPI()

        @self.app.put("/checkpoint")
        async def receive(request: Request) -> Response:
            self.bodies.append(await request.body())
            return Response(status_code=self.status)


def publishing_settings(project_dir: Path, witness_url: str, put_url: str) -> Settings:
    (project_dir / "pyproject.toml").write_text(
        '[tool.readiness]\nproject = "project"\n'
        "[[tool.readiness.audit.witnesses]]\n"
        f'name = "{WITNESS.name}"\nurl = "{witness_url}"\nkey = "{WITNESS.verifier.vkey}"\n'
        "[tool.readiness.audit.publish]\n"
        f'file = "public/checkpoint"\nurl = "{put_url}"\n'
    )
    return load_settings(project_dir, environ={})


def test_publication_writes_the_file_puts_the_url_and_is_retried_until_complete(
    ledger: LedgerService,
    stores: Stores,
    witness_url: str,
    http: httpx.Client,
    project_dir: Path,
) -> None:
    receiver = Receiver()
    with live_server(receiver.app) as base:
        settings = publishing_settings(project_dir, witness_url, base + "/checkpoint")
        ledger.append(entries(4))
        stored = ledger.checkpoint()
        receiver.status = 503
        failed = publish_checkpoint(settings, ledger, stores.audit, stored, http)
        receiver.status = 204
        retried = publish_due(settings, ledger, stores.audit, http)
        done = publish_due(settings, ledger, stores.audit, http)

    cosigned = ledger.cosigned_note(stored.id)
    assert failed.errors == [f"PUT {base}/checkpoint answered HTTP 503"]
    assert failed.published == [str(project_dir / "public" / "checkpoint")]
    assert retried is not None
    assert (retried.errors, len(retried.published)) == ([], 2)
    assert done is None
    assert (project_dir / "public" / "checkpoint").read_text() == cosigned
    assert receiver.bodies == [cosigned.encode(), cosigned.encode()]
    assert cosigned.count("\u2014 ") == 2


def test_a_witness_that_does_not_know_the_log_or_its_key_says_so(
    ledger: LedgerService, stores: Stores, tmp_path: Path, clock: FrozenClock, http: httpx.Client
) -> None:
    ledger.append(entries(3))
    stored = ledger.checkpoint()
    impostor = Ed25519Signer(ORIGIN, bytes(32)).verifier
    strangers = WitnessState(tmp_path / "s.db")
    wary = WitnessState(tmp_path / "w.db")
    with (
        live_server(create_app(Witness(WITNESS, [], strangers, clock))) as unknown,
        live_server(create_app(Witness(WITNESS, [impostor], wary, clock))) as distrustful,
    ):
        outcomes = collect(
            ledger, stores.audit, http, [target(unknown), target(distrustful)], stored
        )
    strangers.dispose()
    wary.dispose()

    assert outcomes[0].message == "does not know this log (HTTP 404: unknown log 'project/audit')"
    assert outcomes[1].message.startswith(
        "does not trust the log's key (HTTP 403: the log's signature does not verify: "
    )


def test_a_witness_holding_a_fork_refuses_the_proof_after_the_409(
    ledger: LedgerService, stores: Stores, witness: Witness, witness_url: str, http: httpx.Client
) -> None:
    forked = MemoryTree(leaf_hash(e) for e in entries(5, start=100))
    fork = Checkpoint(ORIGIN, 5, root_from_nodes(5, forked.get_node))
    witness.add_checkpoint(AddCheckpoint(0, (), sign_checkpoint(fork, LOG)).encode())
    ledger.append(entries(12))
    stored = ledger.checkpoint()

    [outcome] = collect(ledger, stores.audit, http, [target(witness_url)], stored)

    assert not outcome.ok
    assert outcome.message.startswith(
        "refused the consistency proof (HTTP 422: the consistency proof does not verify: "
    )


def test_a_publication_url_s_password_is_never_in_a_message(
    ledger: LedgerService, stores: Stores, witness_url: str, http: httpx.Client, project_dir: Path
) -> None:
    port = free_port()
    settings = publishing_settings(
        project_dir, witness_url, f"http://user:s3cret-pass@127.0.0.1:{port}/checkpoint"
    )
    ledger.append(entries(2))
    stored = ledger.checkpoint()

    report = publish_checkpoint(settings, ledger, stores.audit, stored, http)

    [error] = report.errors
    assert error.startswith(f"PUT http://user:***@127.0.0.1:{port}/checkpoint failed: ConnectError")
    assert "s3cret" not in json.dumps(report.as_dict())
