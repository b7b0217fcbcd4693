"""Checkpoint bodies (c2sp.org/tlog-checkpoint): strict build and parse, signing and opening."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.errors import CheckpointFormatError, LedgerError, SignatureError
from readiness.ledger.core import merkle
from readiness.ledger.core.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from readiness.ledger.core.note import Ed25519Signer, Ed25519Verifier

# The example of c2sp.org/tlog-checkpoint (C2SP/C2SP 5ba5ee83).
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
LOG = Ed25519Signer("example.com/behind-the-sofa", bytes([1]) * 32)
LOG_VKEY = "example.com/behind-the-sofa+6ded73a9+AYqI4910CfGV/VLbLTy6XXLKZwm/HZQSG/N0iAG0D29c"
LOG_SIG = (
    "\u2014 example.com/behind-the-sofa be1zqQx8hYrJJIfiWfY39ShElJ74dPrOjXSgJJ2qG3vny2U7JyHN2kKCWb5"
    "H5e2MfxP7My2OyDRrDvCH/RbVubiZ8AE=\n"
)


def test_the_spec_example_parses_into_origin_size_and_root() -> None:
    checkpoint = Checkpoint.parse(SPEC_BODY)

    assert checkpoint.origin == "example.com/behind-the-sofa"
    assert checkpoint.size == 20852163
    assert checkpoint.root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.extensions == ()
    assert checkpoint.body() == SPEC_BODY


def test_extension_lines_are_kept_in_order() -> None:
    text = SPEC_BODY + "ext one\next two\n"

    checkpoint = Checkpoint.parse(text)

    assert checkpoint.extensions == ("ext one", "ext two")
    assert checkpoint.body() == text


def test_the_empty_tree_checkpoint_has_size_zero_and_the_empty_root() -> None:
    checkpoint = Checkpoint("example.com/log", 0, merkle.EMPTY_ROOT)

    assert checkpoint.body() == (
        "example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "must end with a newline"),
        (SPEC_BODY[:-1], "must end with a newline"),
        ("example.com/log\n5\n", "has 2 lines"),
        ("\n5\n" + SPEC_BODY.split("\n")[2] + "\n", "origin line is empty"),
        (SPEC_BODY.replace("20852163", "020852163"), "without leading zeroes"),
        (SPEC_BODY.replace("20852163", "+20852163"), "is not a decimal number"),
        (SPEC_BODY.replace("20852163", "2085 2163"), "is not a decimal number"),
        (SPEC_BODY.replace("20852163", "18446744073709551616"), "below 2\\^64"),
        (SPEC_BODY.replace("20852163", "\u0662"), "is not a decimal number"),
        (SPEC_BODY.replace("CsUYap", "CsUYa="), "not standard padded base64"),
        (SPEC_BODY.replace("2I=", "2J="), "not canonical base64"),
        ("example.com/log\n1\nAAAA\n", "root hash must be 32 bytes \\(got 3\\)"),
        (SPEC_BODY + "\n", "line 4 \\(an extension\\) is empty"),
        (SPEC_BODY + "ext\n\nmore\n", "line 5 \\(an extension\\) is empty"),
        ("a\tb\n" + SPEC_BODY.split("\n", 1)[1], "cannot be written: .* control character '\\\\t'"),
    ],
)
def test_malformed_bodies_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(CheckpointFormatError, match=reason):
        Checkpoint.parse(text)


def test_the_largest_tree_size_is_two_to_the_64_minus_one() -> None:
    text = SPEC_BODY.replace("20852163", "18446744073709551615")

    assert Checkpoint.parse(text).size == 2**64 - 1


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions"),
    [
        ("", 1, bytes(32), ()),
        ("two\nlines", 1, bytes(32), ()),
        ("o", -1, bytes(32), ()),
        ("o", 2**64, bytes(32), ()),
        ("o", 1, bytes(31), ()),
        ("o", 1, bytes(32), ("",)),
        ("o\x00", 1, bytes(32), ()),
        ("o", 1, bytes(32), ("\udc80",)),
    ],
)
def test_a_checkpoint_that_cannot_be_written_is_refused_when_built(
    origin: str, size: int, root: bytes, extensions: tuple[str, ...]
) -> None:
    with pytest.raises(CheckpointFormatError):
        Checkpoint(origin, size, root, extensions)


def test_signing_with_a_fixed_seed_gives_the_same_note_every_time() -> None:
    signed = sign_checkpoint(Checkpoint.parse(SPEC_BODY), LOG)

    assert LOG.verifier.vkey == LOG_VKEY
    assert signed == SPEC_BODY + "\n" + LOG_SIG


def test_opening_a_signed_checkpoint_returns_it_with_its_note() -> None:
    opened = open_checkpoint(
        SPEC_BODY + "\n" + LOG_SIG,
        Ed25519Verifier.from_vkey(LOG_VKEY),
        origin="example.com/behind-the-sofa",
    )

    assert opened.checkpoint == Checkpoint.parse(SPEC_BODY)
    assert [s.name for s in opened.note.verified] == ["example.com/behind-the-sofa"]


def test_a_checkpoint_of_another_origin_is_refused() -> None:
    with pytest.raises(
        CheckpointFormatError,
        match=r"^checkpoint origin is 'example.com/behind-the-sofa', expected 'example.com/x'$",
    ):
        open_checkpoint(SPEC_BODY + "\n" + LOG_SIG, LOG.verifier, origin="example.com/x")


def test_a_checkpoint_signed_only_by_a_witness_is_refused() -> None:
    other = Ed25519Signer("witness.example.com", bytes([9]) * 32)
    note = sign_checkpoint(Checkpoint.parse(SPEC_BODY), other)

    with pytest.raises(SignatureError, match="is not signed by the log key"):
        open_checkpoint(note, LOG.verifier, witnesses=[other.verifier])


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=200))
def test_parsing_arbitrary_text_gives_a_checkpoint_or_a_ledger_error(text: str) -> None:
    try:
        checkpoint = Checkpoint.parse(text)
    except LedgerError:
        return
    assert checkpoint.body() == text


@settings(max_examples=200, deadline=None)
@given(
    origin=st.text(
        alphabet=st.characters(min_codepoint=0x21, exclude_categories=["Cs"]), min_size=1
    ),
    size=st.integers(0, 2**64 - 1),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(
        st.text(
            alphabet=st.characters(min_codepoint=0x20, exclude_categories=["Cs"]),
            min_size=1,
            max_size=20,
        ),
        max_size=3,
    ),
)
def test_every_checkpoint_round_trips_through_its_body(
    origin: str, size: int, root: bytes, extensions: list[str]
) -> None:
    checkpoint = Checkpoint(origin, size, root, tuple(extensions))

    assert Checkpoint.parse(checkpoint.body()) == checkpoint


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len((SPEC_BODY + "\n" + LOG_SIG).encode()) * 8 - 1))
def test_any_one_bit_change_to_a_signed_checkpoint_is_refused(position: int) -> None:
    raw = bytearray((SPEC_BODY + "\n" + LOG_SIG).encode())
    raw[position // 8] ^= 1 << (position % 8)

    with pytest.raises(LedgerError):
        open_checkpoint(bytes(raw), LOG.verifier, origin="example.com/behind-the-sofa")
