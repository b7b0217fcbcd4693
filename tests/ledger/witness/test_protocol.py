"""The add-checkpoint wire format: requests round-trip, malformed ones are a 400 with a reason."""

from __future__ import annotations

import pytest

from readiness.errors import WitnessError
from readiness.ledger.witness.protocol import (
    AddCheckpoint,
    Refusal,
    cosignature_lines,
    encode_size,
    parse_add_checkpoint,
    parse_size,
)

NOTE = (
    "project/audit\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n\u2014 project/audit AAAA\n"
)


def test_a_request_is_old_line_proof_lines_empty_line_and_the_note() -> None:
    request = AddCheckpoint(2, (b"\x01" * 32, b"\x02" * 32), NOTE)

    body = request.encode()

    assert body == (
        b"old 2\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
        b"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n\n" + NOTE.encode()
    )
    assert parse_add_checkpoint(body) == request


def test_a_request_without_proof_has_the_empty_line_right_after_old() -> None:
    assert AddCheckpoint(0, (), NOTE).encode() == b"old 0\n\n" + NOTE.encode()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"old 1\n", "request body has no empty line before the checkpoint"),
        (b"old 01\n\nx", "first line 'old 01' is not 'old <decimal size>'"),
        (b"new 1\n\nx", "first line 'new 1' is not 'old <decimal size>'"),
        (b"old 1\nAAAA\n\nx", "proof line 'AAAA' is not a 32-byte hash"),
        (b"old 1\nA-==\n\nx", "proof line 'A-==' is not canonical base64"),
        (b"\xff\n\n", "request body is not UTF-8"),
        (
            b"old 1\n" + b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" * 64 + b"\nx",
            "consistency proof has 64 lines; at most 63",
        ),
        (b"x" * 16385, "request body is 16385 bytes; at most 16384"),
    ],
)
def test_malformed_requests_are_a_400_with_the_reason(body: bytes, reason: str) -> None:
    with pytest.raises(Refusal) as caught:
        parse_add_checkpoint(body)
    assert (caught.value.status, caught.value.message) == (400, reason)


def test_the_conflict_body_is_the_size_and_a_newline() -> None:
    assert encode_size(42) == b"42\n"
    assert parse_size(b"42\n") == 42
    for bad in (b"42", b"042\n", b"-1\n", b""):
        with pytest.raises(WitnessError, match="is not a decimal size and a newline"):
            parse_size(bad)


def test_a_200_body_is_split_into_signature_lines() -> None:
    assert cosignature_lines(b"\xe2\x80\x94 a AAAA\n\xe2\x80\x94 b BBBB\n") == [
        "\u2014 a AAAA\n",
        "\u2014 b BBBB\n",
    ]
    with pytest.raises(WitnessError, match="answered 200 without cosignature lines"):
        cosignature_lines(b"")
