"""Witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.errors import KeyFormatError, LedgerError, SignatureError
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from readiness.ledger.core.cosignature import (
    CosignatureSigner,
    CosignatureVerifier,
    cosignature_time,
    cosigned_message,
)
from readiness.ledger.core.note import Ed25519Signer, Ed25519Verifier, parse_note

SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
# The cosigned checkpoint of c2sp.org/tlog-cosignature (C2SP/C2SP 5ba5ee83); its keys are not
# published, so it serves for the layout (key id, 8-byte timestamp, 64-byte signature) only.
SPEC_NOTE = (
    SPEC_BODY
    + "\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u"
    "5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
    "\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJ"
    "sX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
LOG = Ed25519Signer("example.com/behind-the-sofa", bytes([1]) * 32)
WITNESS = CosignatureSigner("witness.example.com/w1", bytes([2]) * 32)
WITNESS_VKEY = "witness.example.com/w1+745fb5e8+BIE5dw6ofRdfVqNUZsNMfszLjYqRtO43ol32D1uPybOU"
WITNESS_LINE = (
    "\u2014 witness.example.com/w1 dF+16AAAAABkGFDLUwBLV8e4tjvb6qEHiNTQjDZIX+7tvd038taw9A7W/cQ7ZhSa"
    "h0uJMOI6CTPez5qwHtE49MrkWhU349mtYmi3Dw==\n"
)


def test_the_spec_example_cosignature_carries_the_spec_example_time() -> None:
    witness_sig = parse_note(SPEC_NOTE).signatures[1]

    assert witness_sig.key_id == 0x8D66CF3F
    assert cosignature_time(witness_sig) == 1679315147


def test_the_signed_message_is_header_time_line_and_the_whole_body() -> None:
    assert cosigned_message(SPEC_BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + SPEC_BODY.encode()
    )


def test_a_cosignature_is_ed25519_over_the_spec_message_with_the_time_in_front() -> None:
    line = WITNESS.cosign(SPEC_BODY, 1679315147)

    assert line.line == WITNESS_LINE
    assert line.signature[:8] == (1679315147).to_bytes(8, "big")
    # Checked with the raw Ed25519 primitive, not with this package's verifier.
    Ed25519PublicKey.from_public_bytes(WITNESS.verifier.public_key).verify(
        line.signature[8:], b"cosignature/v1\ntime 1679315147\n" + SPEC_BODY.encode()
    )


def test_witness_keys_use_type_0x04_in_their_key_id_and_vkey() -> None:
    assert WITNESS.verifier.vkey == WITNESS_VKEY
    assert CosignatureVerifier.from_vkey(WITNESS_VKEY) == WITNESS.verifier
    assert CosignatureSigner.from_skey(WITNESS.skey) == WITNESS
    with pytest.raises(KeyFormatError, match="type byte 0x01"):
        Ed25519Verifier.from_vkey(WITNESS_VKEY)


def test_a_checkpoint_with_a_cosignature_opens_with_log_and_witness_keys() -> None:
    note = sign_checkpoint(Checkpoint.parse(SPEC_BODY), LOG) + WITNESS_LINE

    opened = open_checkpoint(note, LOG.verifier, witnesses=[WITNESS.verifier])

    assert [s.name for s in opened.note.verified] == [LOG.name, WITNESS.name]
    assert cosignature_time(opened.note.verified[1]) == 1679315147


def test_a_cosignature_is_ignored_when_its_witness_is_not_trusted() -> None:
    note = sign_checkpoint(Checkpoint.parse(SPEC_BODY), LOG) + WITNESS_LINE

    opened = open_checkpoint(note, LOG.verifier)

    assert [s.name for s in opened.note.unverified] == [WITNESS.name]


def test_a_cosignature_of_another_time_or_body_is_refused() -> None:
    signed = sign_checkpoint(Checkpoint.parse(SPEC_BODY), LOG)
    sig = WITNESS.cosign(SPEC_BODY, 1679315147)
    moved = type(sig)(sig.name, sig.key_id, (1679315148).to_bytes(8, "big") + sig.signature[8:])

    with pytest.raises(SignatureError, match=r"invalid signature for key witness\.example\.com/w1"):
        open_checkpoint(signed + moved.line, LOG.verifier, witnesses=[WITNESS.verifier])
    other = Checkpoint.parse(SPEC_BODY.replace("20852163", "20852164"))
    with pytest.raises(SignatureError, match=r"invalid signature for key witness\.example\.com/w1"):
        open_checkpoint(
            sign_checkpoint(other, LOG) + sig.line, LOG.verifier, witnesses=[WITNESS.verifier]
        )


@pytest.mark.parametrize("timestamp", [-1, 2**63])
def test_timestamps_outside_0_to_2_63_minus_1_are_refused(timestamp: int) -> None:
    with pytest.raises(SignatureError, match="between 0 and 2\\^63-1"):
        WITNESS.cosign(SPEC_BODY, timestamp)


def test_a_cosignature_of_the_wrong_length_has_no_time() -> None:
    short = parse_note(SPEC_NOTE).signatures[0]

    with pytest.raises(SignatureError, match="expected 72"):
        cosignature_time(short)


def test_the_verifier_refuses_signatures_it_cannot_read() -> None:
    verifier = WITNESS.verifier

    assert verifier.verify(SPEC_BODY.encode(), bytes(71)) is False
    assert verifier.verify(SPEC_BODY.encode(), b"\xff" * 72) is False
    assert verifier.verify(b"\xff", bytes(72)) is False


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len(WITNESS_LINE.encode()) * 8 - 1))
def test_any_one_bit_change_to_a_cosignature_line_is_refused_or_ignored(position: int) -> None:
    signed = sign_checkpoint(Checkpoint.parse(SPEC_BODY), LOG)
    raw = bytearray(WITNESS_LINE.encode())
    raw[position // 8] ^= 1 << (position % 8)
    try:
        opened = open_checkpoint(
            signed.encode() + bytes(raw), LOG.verifier, witnesses=[WITNESS.verifier]
        )
    except LedgerError:
        return
    # A changed name or key id makes the line someone else's: it no longer counts as the witness.
    assert [s.name for s in opened.note.verified] == [LOG.name]


# transparency-dev/formats note/note_cosigv1_test.go: a real witness key (type 0x04), and a
# cosignature whose timestamp is 1727964367.
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
FORMATS_COSIG = (
    "ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBY"
    "JXORmnFBOBA=="
)
FORMATS_PLAIN_SIG = (
    "eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="
)


def test_a_published_witness_key_has_the_key_id_we_compute_for_type_0x04() -> None:
    verifier = CosignatureVerifier.from_vkey(REMORA_VKEY)

    assert (verifier.name, verifier.key_id) == ("remora.n621.de", 0xDA77ADE7)
    assert verifier.vkey == REMORA_VKEY


def test_the_time_of_a_published_cosignature_is_read_back() -> None:
    line = parse_note(f"x\n\n\u2014 w {FORMATS_COSIG}\n").signatures[0]

    assert cosignature_time(line) == 1727964367


def test_a_plain_note_signature_has_no_cosignature_time() -> None:
    line = parse_note(f"x\n\n\u2014 w {FORMATS_PLAIN_SIG}\n").signatures[0]

    with pytest.raises(SignatureError, match=r"has 64 bytes after the key id; expected 72"):
        cosignature_time(line)
