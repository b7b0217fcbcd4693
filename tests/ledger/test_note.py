"""Signed notes against the vectors of golang.org/x/mod/sumdb/note and c2sp.org/signed-note."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.errors import KeyFormatError, LedgerError, NoteFormatError, SignatureError
from readiness.ledger.core import note as notes
from readiness.ledger.core.note import Ed25519Signer, Ed25519Verifier

# golang.org/x/mod sumdb/note/note_test.go (commit fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db)
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngo"
    "tpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    "\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnW"
    "Lox33WWd1RvMc+QQ=\n"
)
# c2sp.org/signed-note, "Verifier keys / Example" (C2SP/C2SP 5ba5ee83)
FOO_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
FOO_NOTE = (
    "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi"
    "2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"
)


def test_signing_with_the_go_test_key_gives_the_go_signature_byte_for_byte() -> None:
    signer = Ed25519Signer.from_skey(PETER_SKEY)

    assert notes.sign_note(TEXT, [signer]) == TEXT + "\n" + PETER_SIG
    assert signer.verifier.vkey == PETER_VKEY
    assert signer.skey == PETER_SKEY
    assert signer.key_id == 0xC74F20A3


def test_the_c2sp_example_note_verifies_with_its_verifier_key() -> None:
    verifier = Ed25519Verifier.from_vkey(FOO_VKEY)

    opened = notes.open_note(FOO_NOTE, [verifier])

    assert opened.text == "This is an example message.\n"
    assert [(s.name, s.key_id) for s in opened.verified] == [("example.com/foo", 0x530D903A)]
    assert opened.unverified == ()


def test_a_signature_from_an_unknown_key_is_kept_aside_not_verified() -> None:
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)

    opened = notes.open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, [peter])

    assert [s.name for s in opened.verified] == ["PeterNeumann"]
    assert [(s.name, s.key_id) for s in opened.unverified] == [("EnochRoot", 0xAF0CFE78)]


def test_two_known_keys_both_verify() -> None:
    keys = [Ed25519Verifier.from_vkey(PETER_VKEY), Ed25519Verifier.from_vkey(ENOCH_VKEY)]

    opened = notes.open_note(TEXT + "\n" + PETER_SIG + ENOCH_SIG, keys)

    assert [s.name for s in opened.verified] == ["PeterNeumann", "EnochRoot"]


def test_a_note_no_trusted_key_signed_is_refused() -> None:
    enoch = Ed25519Verifier.from_vkey(ENOCH_VKEY)

    with pytest.raises(SignatureError, match=r"^note has no signature from a trusted key"):
        notes.open_note(TEXT + "\n" + PETER_SIG, [enoch])


def test_an_altered_text_fails_the_known_keys_signature() -> None:
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)
    altered = TEXT.replace("answer", "answers") + "\n" + PETER_SIG

    with pytest.raises(
        SignatureError, match=r"^invalid signature for key PeterNeumann\+c74f20a3; the note"
    ):
        notes.open_note(altered, [peter])


def test_two_trusted_verifiers_with_the_same_name_and_id_are_ambiguous() -> None:
    enoch = Ed25519Verifier.from_vkey(ENOCH_VKEY)
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)

    with pytest.raises(SignatureError, match=r"^ambiguous key EnochRoot\+af0cfe78"):
        notes.open_note(TEXT + "\n" + ENOCH_SIG, [enoch, peter, enoch])
    assert notes.open_note(TEXT + "\n" + PETER_SIG, [enoch, peter, enoch]).text == TEXT


def test_repeated_identical_signature_lines_count_once() -> None:
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)

    opened = notes.open_note(TEXT + "\n" + PETER_SIG * 3 + ENOCH_SIG * 2, [peter])

    assert len(opened.verified) == 1
    assert len(opened.unverified) == 1


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (TEXT, "no blank line"),
        (TEXT + "\n", "no signature lines"),
        (TEXT + "\n" + PETER_SIG[:-1], "end with a newline"),
        ("\x01" + TEXT + "\n" + PETER_SIG, "control character"),
        (TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Bad Name"), "is not '— <key name>"),
        (TEXT + "\n" + PETER_SIG + "Unexpected line.\n", "does not start with '— '"),
        (TEXT + "\n" + "\u2014 a+b AAAAAAA=\n", "contains '\\+'"),
        (TEXT + "\n" + "\u2014 name AAAA\n", "expected a 4-byte key id"),
        (TEXT + "\n" + "\u2014 name AAAAAAB=\n", "not canonical base64"),
        (TEXT + "\n" + "\u2014 name AAAA*AA=\n", "not standard padded base64"),
        (TEXT + "\n" + PETER_SIG * 101, "at most 100 are read"),
    ],
)
def test_malformed_notes_are_refused_with_the_reason(message: str, reason: str) -> None:
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)

    with pytest.raises(NoteFormatError, match=reason):
        notes.open_note(message, [peter])


def test_a_note_that_is_not_utf8_is_refused_with_the_offset() -> None:
    with pytest.raises(NoteFormatError, match=r"^signed note is not valid UTF-8 \(byte 0\)$"):
        notes.parse_note(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def _mangled(key: str) -> list[str]:
    """Every strict substring and every one-character increment of ``key`` (as the Go tests do)."""
    cut = [key[i:j] for i in range(len(key) + 1) for j in range(i + 1, len(key) + 1)]
    bumped = [key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :] for i in range(len(key))]
    return [k for k in cut + bumped if k != key]


def test_every_mangling_of_a_verifier_key_is_refused() -> None:
    refused = 0
    for key in _mangled(PETER_VKEY):
        with pytest.raises(KeyFormatError):
            Ed25519Verifier.from_vkey(key)
        refused += 1

    assert refused == len(_mangled(PETER_VKEY))


def test_every_mangling_of_a_signer_key_is_refused_without_echoing_it() -> None:
    for key in _mangled(PETER_SKEY):
        with pytest.raises(KeyFormatError) as caught:
            Ed25519Signer.from_skey(key)
        assert "AYEKFALVFGyNhPJEMzD1QIDr" not in caught.value.message


@pytest.mark.parametrize(
    ("vkey", "reason"),
    [
        # wrong key length, with the key id adjusted to match (Go's test vector); its base64 has
        # non-zero padding bits, which is refused first
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "is not canonical base64",
        ),
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEQ==",
            r"expected base64 of the type byte 0x01 and 32 key bytes \(got 37 bytes, type 0x01\)",
        ),
        # unknown signature type, key id adjusted (Go's test vector)
        (
            "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
            r"expected base64 of the type byte 0x01 and 32 key bytes \(got 33 bytes, type 0x65\)",
        ),
    ],
)
def test_keys_of_another_length_or_type_are_refused(vkey: str, reason: str) -> None:
    with pytest.raises(KeyFormatError, match=reason):
        Ed25519Verifier.from_vkey(vkey)


@pytest.mark.parametrize(
    "name", ["", "a b", "a+b", "tab\there", "nbsp\u00a0x", "nl\nx", "bell\x07", "lone\udc80"]
)
def test_key_names_with_spaces_plus_or_nothing_are_refused(name: str) -> None:
    with pytest.raises(KeyFormatError):
        Ed25519Signer(name, bytes(32))


def test_a_key_made_from_a_seed_round_trips_through_its_strings() -> None:
    signer = Ed25519Signer("example.com/log", bytes(range(32)))

    again = Ed25519Signer.from_skey(signer.skey)
    verifier = Ed25519Verifier.from_vkey(signer.verifier.vkey)

    assert again == signer
    assert verifier == signer.verifier
    assert notes.open_note(notes.sign_note("hello\n", [again]), [verifier]).text == "hello\n"


def test_signing_again_replaces_the_signers_old_signature_and_keeps_others() -> None:
    peter = Ed25519Signer.from_skey(PETER_SKEY)
    stale = notes.NoteSignature("PeterNeumann", 0xC74F20A3, b"BAD")
    enoch = notes.parse_note(TEXT + "\n" + ENOCH_SIG).signatures[0]

    signed = notes.sign_note(TEXT, [peter], keep=[stale, enoch])

    assert signed == TEXT + "\n" + ENOCH_SIG + PETER_SIG


@pytest.mark.parametrize("text", ["", "no newline", "bell\x07\n"])
def test_texts_that_cannot_be_signed_are_refused(text: str) -> None:
    with pytest.raises(NoteFormatError):
        notes.sign_note(text, [Ed25519Signer.from_skey(PETER_SKEY)])


@settings(max_examples=300, deadline=None)
@given(message=st.text(max_size=300) | st.binary(max_size=300))
def test_parsing_arbitrary_input_gives_a_note_or_a_ledger_error(message: str | bytes) -> None:
    try:
        parsed = notes.parse_note(message)
    except LedgerError:
        return
    assert parsed.format() == (message if isinstance(message, str) else message.decode())


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(
        st.sampled_from([TEXT, "\n", PETER_SIG, ENOCH_SIG, "\u2014 ", "x", " ", "=", "\u2014"]),
        max_size=8,
    )
)
def test_opening_notes_built_from_note_fragments_gives_a_note_or_a_ledger_error(
    lines: list[str],
) -> None:
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)
    message = "".join(lines)
    try:
        opened = notes.open_note(message, [peter])
    except LedgerError:
        return
    assert opened.text == TEXT


@settings(max_examples=200, deadline=None)
@given(position=st.integers(0, len((TEXT + "\n" + PETER_SIG).encode()) * 8 - 1))
def test_any_one_bit_change_to_a_signed_note_is_refused(position: int) -> None:
    peter = Ed25519Verifier.from_vkey(PETER_VKEY)
    raw = bytearray((TEXT + "\n" + PETER_SIG).encode())
    raw[position // 8] ^= 1 << (position % 8)

    with pytest.raises(LedgerError):
        notes.open_note(bytes(raw), [peter])


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=30))
def test_any_key_name_gives_a_working_key_or_a_key_format_error(name: str) -> None:
    try:
        signer = Ed25519Signer(name, bytes(32))
    except KeyFormatError:
        return
    assert Ed25519Verifier.from_vkey(signer.verifier.vkey) == signer.verifier


@settings(max_examples=300, deadline=None)
@given(key=st.text(max_size=120))
def test_parsing_arbitrary_key_strings_gives_a_key_or_a_key_format_error(key: str) -> None:
    try:
        verifier = Ed25519Verifier.from_vkey(key)
    except KeyFormatError:
        return
    assert verifier.vkey.lower() == key.lower()
