"""Sealed values: round trip, tamper detection, binding to the field and the event (pure)."""

from __future__ import annotations

import base64
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness.audit.events import canonical, validate_event
from readiness.audit.privacy import crypto
from readiness.audit.privacy.envelope import ALG, SEALED, is_sealed, open_value, seal_value
from readiness.errors import InputError, PrivacyError

KEY = bytes(range(32))
NONCE = bytes(12)
KID = "usr_0011223344556677"
EVENT: dict[str, Any] = {
    "actor_id": KID,
    "actor_type": "customer",
    "action": "profile.update",
    "target_type": "profile",
    "target_id": "prof_1",
    "result": "success",
    "occurred_at": "2026-04-10T14:23:01Z",
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="abcdefgh", max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@given(value=json_values, nonce=st.binary(min_size=12, max_size=12))
def test_a_sealed_value_opens_to_exactly_what_was_sealed(value: object, nonce: bytes) -> None:
    envelope = seal_value(KEY, nonce, KID, "after.email", EVENT, value)

    assert canonical(open_value(KEY, "after.email", EVENT, envelope)) == canonical(value)


@given(value=json_values, data=st.data())
def test_any_one_byte_change_of_the_ciphertext_or_nonce_is_refused(
    value: object, data: st.DataObject
) -> None:
    envelope = seal_value(KEY, NONCE, KID, "after.email", EVENT, value)
    part = data.draw(st.sampled_from(["ct", "nonce"]))
    raw = bytearray(_b64decode(envelope[SEALED][part]))
    at = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
    raw[at] ^= data.draw(st.integers(min_value=1, max_value=255))
    altered = {SEALED: {**envelope[SEALED], part: _b64encode(bytes(raw))}}

    with pytest.raises(PrivacyError, match="does not authenticate"):
        open_value(KEY, "after.email", EVENT, altered)


@given(value=json_values, field=st.sampled_from(["action", "target_type", "target_id"]))
def test_an_envelope_moved_to_another_event_does_not_open(value: object, field: str) -> None:
    envelope = seal_value(KEY, NONCE, KID, "after.email", EVENT, value)
    other = {**EVENT, field: "other.thing"}

    with pytest.raises(PrivacyError, match="moved from another field or event"):
        open_value(KEY, "after.email", other, envelope)


def test_an_envelope_moved_to_another_field_does_not_open() -> None:
    envelope = seal_value(KEY, NONCE, KID, "after.email", EVENT, "ann@example.org")

    with pytest.raises(PrivacyError, match=r"^sealed value at before\.email: does not"):
        open_value(KEY, "before.email", EVENT, envelope)


def test_an_envelope_does_not_open_under_another_key() -> None:
    envelope = seal_value(KEY, NONCE, KID, "after.email", EVENT, "ann@example.org")

    with pytest.raises(PrivacyError):
        open_value(bytes(32), "after.email", EVENT, envelope)


def test_a_sealed_event_is_a_valid_event_and_holds_no_plaintext() -> None:
    envelope = seal_value(KEY, NONCE, KID, "after.email", EVENT, "ann@example.org")
    event = {**EVENT, "after": {"email": envelope, "plan": "pro"}}

    checked = validate_event(event)

    assert checked["after"]["email"][SEALED]["alg"] == ALG
    assert checked["after"]["email"][SEALED]["kid"] == KID
    assert set(checked["after"]["email"][SEALED]) == {"v", "alg", "kid", "nonce", "ct"}
    assert b"ann@example.org" not in canonical(checked)
    assert is_sealed(checked["after"]["email"]) is True
    assert is_sealed(checked["after"]["plan"]) is False


def test_a_malformed_envelope_is_refused_with_what_it_lacks() -> None:
    with pytest.raises(PrivacyError, match=r"^sealed value: expected v, alg, kid, nonce and ct$"):
        open_value(KEY, "after.email", EVENT, {SEALED: {"kid": KID}})


def test_an_ip_hmac_names_its_key_and_passes_the_event_schema() -> None:
    hashed = crypto.ip_hmac(KEY, "0a1b2c3d", "203.0.113.7")

    assert re.fullmatch(r"hmac-sha256:0a1b2c3d[0-9a-f]{64}", hashed)
    assert crypto.ip_hmac_key_id(hashed) == "0a1b2c3d"
    assert validate_event({**EVENT, "ip_hmac": hashed})["ip_hmac"] == hashed


def test_an_ipv4_mapped_ipv6_address_hashes_like_the_ipv4_one() -> None:
    assert crypto.ip_hmac(KEY, "0a1b2c3d", "::ffff:203.0.113.7") == crypto.ip_hmac(
        KEY, "0a1b2c3d", "203.0.113.7"
    )


def test_another_ip_key_gives_a_hash_that_does_not_link() -> None:
    assert (
        crypto.ip_hmac(KEY, "0a1b2c3d", "203.0.113.7")[20:]
        != crypto.ip_hmac(bytes(32), "0a1b2c3d", "203.0.113.7")[20:]
    )


def test_what_is_not_an_ip_is_refused() -> None:
    with pytest.raises(InputError, match=r"^ip: 'localhost' is not an IPv4 or IPv6 address$"):
        crypto.ip_hmac(KEY, "0a1b2c3d", "localhost")


def test_subjects_are_indexed_case_and_space_insensitively() -> None:
    assert crypto.subject_index(KEY, " Ann@Example.ORG ") == crypto.subject_index(
        KEY, "ann@example.org"
    )


def test_pseudonyms_are_usr_and_sixteen_hex_digits() -> None:
    pseudonym = crypto.new_pseudonym(bytes.fromhex("a8f3c2b1a8f3c2b1"))

    assert pseudonym == "usr_a8f3c2b1a8f3c2b1"
    assert crypto.is_pseudonym(pseudonym) is True
    assert crypto.is_pseudonym("usr_A8F3") is False


def test_a_wrapped_secret_does_not_open_in_another_context() -> None:
    wrapped = crypto.wrap(KEY, NONCE, b"secret", "data key usr_1")

    with pytest.raises(PrivacyError, match="does not open with this vault key"):
        crypto.unwrap(KEY, wrapped, "data key usr_2")
