"""The witness over real HTTP: it cosigns a log's growth and refuses everything else with the
status the protocol names; what it cosigned survives a restart (its own SQLite file)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from readiness._common.clock import FrozenClock
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from readiness.ledger.core.compact import MemoryTree
from readiness.ledger.core.merkle import consistency_proof, leaf_hash, root_from_nodes
from readiness.ledger.core.note import Ed25519Signer
from readiness.ledger.witness.protocol import AddCheckpoint, Refusal
from readiness.ledger.witness.server import Witness, WitnessState
from tests.ledger.witness.conftest import AT, LOG, ORIGIN, WITNESS, entries

TREE = MemoryTree(leaf_hash(e) for e in entries(20))


def note(size: int, signer: Ed25519Signer = LOG, tree: MemoryTree = TREE) -> str:
    root = root_from_nodes(size, tree.get_node)
    return sign_checkpoint(Checkpoint(signer.name, size, root), signer)


def request(old: int, size: int, tree: MemoryTree = TREE) -> bytes:
    proof = consistency_proof(old, size, tree.get_node) if 0 < old < size else []
    return AddCheckpoint(old, tuple(proof), note(size, tree=tree)).encode()


def post(url: str, body: bytes) -> httpx.Response:
    return httpx.post(url + "/add-checkpoint", content=body, timeout=10)


def test_the_witness_cosigns_the_first_checkpoint_and_then_each_consistent_growth(
    witness_url: str,
) -> None:
    first = post(witness_url, request(0, 5))
    second = post(witness_url, request(5, 12))

    assert (first.status_code, second.status_code) == (200, 200)
    opened = open_checkpoint(note(12) + second.text, LOG.verifier, witnesses=[WITNESS.verifier])
    assert [s.name for s in opened.note.verified] == [ORIGIN, WITNESS.name]
    assert second.text.startswith("\u2014 witness.example/w1 ")
    assert int.from_bytes(opened.note.verified[1].signature[:8], "big") == int(AT.timestamp())


def test_a_stale_old_size_is_a_409_naming_the_size_the_witness_knows(witness_url: str) -> None:
    assert post(witness_url, request(0, 5)).status_code == 200

    answer = post(witness_url, request(0, 12))

    assert answer.status_code == 409
    assert answer.headers["content-type"] == "text/x.tlog.size"
    assert answer.content == b"5\n"


def test_a_rollback_is_refused_and_the_witness_keeps_its_size(witness_url: str) -> None:
    assert post(witness_url, request(0, 12)).status_code == 200

    answer = post(witness_url, request(12, 5))

    assert (answer.status_code, answer.text) == (
        400,
        "old size 12 is larger than the checkpoint's 5\n",
    )
    assert post(witness_url, request(0, 5)).content == b"12\n"


def test_a_fork_at_the_same_size_is_a_409_in_plain_text(witness_url: str) -> None:
    assert post(witness_url, request(0, 5)).status_code == 200
    forked = MemoryTree(leaf_hash(e) for e in entries(5, start=100))

    answer = post(witness_url, request(5, 5, forked))

    assert (answer.status_code, answer.text) == (
        409,
        "another root is cosigned at size 5: the log forked\n",
    )


def test_a_proof_that_does_not_lead_to_the_new_root_is_a_422(witness_url: str) -> None:
    assert post(witness_url, request(0, 5)).status_code == 200
    forked = MemoryTree(leaf_hash(e) for e in entries(12, start=100))

    answer = post(witness_url, request(5, 12, forked))

    assert answer.status_code == 422
    assert answer.text.startswith("the consistency proof does not verify: consistency proof ")


def test_an_unknown_log_is_a_404_and_a_bad_signature_a_403(witness_url: str) -> None:
    stranger = Ed25519Signer("other.example/log", bytes(32))
    impostor = Ed25519Signer(ORIGIN, bytes(32))

    unknown = post(witness_url, AddCheckpoint(0, (), note(5, stranger)).encode())
    forged = post(witness_url, AddCheckpoint(0, (), note(5, impostor)).encode())

    assert (unknown.status_code, unknown.text) == (404, "unknown log 'other.example/log'\n")
    assert forged.status_code == 403
    assert forged.text.startswith("the log's signature does not verify: ")


def test_a_malformed_body_is_a_400(witness_url: str) -> None:
    answer = post(witness_url, b"old x\n\n")
    assert (answer.status_code, answer.text) == (
        400,
        "first line 'old x' is not 'old <decimal size>'\n",
    )


def test_the_state_survives_a_restart_of_the_witness(tmp_path: Path, clock: FrozenClock) -> None:
    path = tmp_path / "w.db"
    first = WitnessState(path)
    Witness(WITNESS, [LOG.verifier], first, clock).add_checkpoint(request(0, 7))
    first.dispose()

    again = WitnessState(path)
    assert again.latest(ORIGIN) == (7, root_from_nodes(7, TREE.get_node))
    with pytest.raises(Refusal, match="the witness knows size 7"):
        Witness(WITNESS, [LOG.verifier], again, clock).add_checkpoint(request(0, 9))
    again.dispose()


def test_of_two_requests_from_the_same_size_only_the_first_advances_the_witness(
    tmp_path: Path,
) -> None:
    state = WitnessState(tmp_path / "w.db")
    five = Checkpoint(ORIGIN, 5, root_from_nodes(5, TREE.get_node))
    seven = Checkpoint(ORIGIN, 7, root_from_nodes(7, TREE.get_node))

    first = state.advance(ORIGIN, 0, five, note(5))
    second = state.advance(ORIGIN, 0, seven, note(7))
    third = state.advance(ORIGIN, 5, seven, note(7))
    stale = state.advance(ORIGIN, 5, five, note(5))

    assert (first, second, third, stale) == (True, False, True, False)
    assert state.latest(ORIGIN) == (7, seven.root_hash)
    state.dispose()
