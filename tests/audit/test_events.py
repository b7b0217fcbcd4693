"""The application audit event: schema refusals with exact messages, RFC 8785 bytes, fuzz."""

from __future__ import annotations

import json
import struct
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.audit.events import (
    FIELDS,
    MAX_LINE_BYTES,
    canonical,
    entry_bytes,
    es_number,
    parse_line,
    parse_lines,
    validate_event,
)
from readiness.errors import InputError

VALID: dict[str, Any] = {
    "occurred_at": "2026-04-10T14:23:01.123Z",
    "actor_id": "usr_a8f3c2b1",
    "actor_type": "employee",
    "action": "patient_record.view",
    "target_type": "patient_record",
    "target_id": "patient_rec_xyz789",
    "target_fields_accessed": ["diagnosis", "medication_list", "lab_results"],
    "source": "clinical_dashboard",
    "ip_hmac": "hmac-sha256:" + "a1" * 32,
    "session_id": "sess_m9n8o7",
    "result": "allowed",
    "justification": "treating_physician",
}


def with_(**changes: Any) -> dict[str, Any]:
    event = dict(VALID)
    for key, value in changes.items():
        if value is ...:
            del event[key]
        else:
            event[key] = value
    return event


def refusal(event: object) -> str:
    with pytest.raises(InputError) as caught:
        validate_event(event)
    return caught.value.message


def test_the_handbook_example_is_valid_and_its_bytes_are_canonical() -> None:
    event = validate_event(VALID)

    data = entry_bytes(event)

    assert event == VALID
    assert data.startswith(b'{"action":"patient_record.view","actor_id":"usr_a8f3c2b1",')
    assert json.loads(data) == VALID
    assert entry_bytes(validate_event(dict(reversed(VALID.items())))) == data


def test_owasp_vocabulary_names_are_actions() -> None:
    assert validate_event(with_(action="authn_login_fail"))["action"] == "authn_login_fail"
    assert validate_event(with_(action="authz_fail"))["action"] == "authz_fail"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ([1], "event: must be a JSON object (got an array)"),
        (
            with_(name="Alice"),
            "name: unknown field; an event has " + ", ".join(sorted(FIELDS)),
        ),
        (with_(actor_id=...), "actor_id: is required"),
        (with_(result=None), "result: is required"),
        (
            with_(actor_id="alice@example.com"),
            "actor_id: looks like an e-mail address, not pseudonymous: give the id the identity "
            "vault maps to the person (e.g. usr_a8f3c2b1)",
        ),
        (
            with_(actor_id="alice at example.com"),
            "actor_id: 'alice at example.com' is not a pseudonymous id (letters, digits and "
            "_ . : / -, no spaces: names are not pseudonymous)",
        ),
        (with_(actor_id=7), "actor_id: must be a string (got a number)"),
        (with_(actor_id=""), "actor_id: must not be empty"),
        (with_(target_id="x" * 257), "target_id: longer than 256 characters (257)"),
        (
            with_(justification="a\x00b"),
            "justification: holds a control character or a lone surrogate",
        ),
        (
            with_(action="Patient Record View"),
            "action: 'Patient Record View' is not a lowercase dotted name like "
            "patient_record.view or authn_login_fail",
        ),
        (
            with_(occurred_at="2026-04-10 14:23:01"),
            "occurred_at: '2026-04-10 14:23:01' is not an RFC 3339 UTC time like "
            "2026-04-10T14:23:01.123Z",
        ),
        (
            with_(occurred_at="2026-02-30T00:00:00Z"),
            "occurred_at: '2026-02-30T00:00:00Z' is not a real date and time",
        ),
        (
            with_(ip_hmac="203.0.113.7"),
            "ip_hmac: '203.0.113.7' is not a keyed hash like hmac-sha256:<hex> (never a raw IP)",
        ),
        (
            with_(target_fields_accessed="diagnosis"),
            "target_fields_accessed: must be an array of field names (got a string)",
        ),
        (
            with_(target_fields_accessed=["diagnosis", "flu with fever"]),
            "target_fields_accessed[1]: 'flu with fever' is not a field name (not a value)",
        ),
        (
            with_(target_fields_accessed=["a", "a"]),
            "target_fields_accessed: names a field twice",
        ),
        (with_(before=[1]), "before: must be an object of field values or null (got an array)"),
        (
            with_(after={"n": 2**63}),
            "after: holds an integer beyond ±(2^53-1), which JSON cannot keep exact",
        ),
        (with_(after={"n": float("nan")}), "after: holds NaN or Infinity, which JSON has not"),
        (with_(after={"s": "\ud800"}), "after: holds a lone surrogate, which is not Unicode text"),
        (with_(after={"s": "x" * 70_000}), "after: larger than 65536 bytes as JSON (70008)"),
    ],
)
def test_each_refusal_names_the_field(event: object, message: str) -> None:
    assert refusal(event) == message


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"a":1}\x00', "line: holds a NUL byte"),
        (b"\xff{}", "line: is not UTF-8 (byte 0)"),
        (
            b"{not json",
            "line: is not JSON (Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1))",
        ),
        (b'{"after": NaN}', "line: is not JSON (NaN is not JSON)"),
        (b'{"a":1,"a":2}', "line: is not JSON (the key 'a' appears twice)"),
        (b"[" * 100_000, "line: is nested too deeply"),
        (
            b" " * (MAX_LINE_BYTES + 1),
            f"line: longer than {MAX_LINE_BYTES} bytes ({MAX_LINE_BYTES + 1})",
        ),
    ],
)
def test_hostile_lines_are_refused_by_name(line: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_line(line)
    assert caught.value.message == message


def test_a_bad_line_refuses_the_whole_input_naming_its_number() -> None:
    good = json.dumps(VALID).encode()
    bad = json.dumps(with_(actor_id="bob@example.org")).encode()

    with pytest.raises(InputError) as caught:
        parse_lines(b"\n".join([good, b"", good, bad, good]))

    assert caught.value.message.startswith("line 4: actor_id: looks like an e-mail address")
    assert caught.value.details["line"] == 4
    assert len(parse_lines(good + b"\r\n\n" + good + b"\n")) == 2
    with pytest.raises(InputError) as empty:
        parse_lines(b"\n \n")
    assert empty.value.message == "no events: give one JSON object per line"


@pytest.mark.parametrize(
    ("value", "text"),
    [  # RFC 8785 appendix B and §3.2.2.3
        (0.0, "0"),
        (-0.0, "0"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (float(2**60), "1152921504606847000"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (123456789012345680000.0, "123456789012345680000"),
        (333333333.3333333, "333333333.3333333"),
        (-1.5, "-1.5"),
        (9007199254740992.0, "9007199254740992"),
    ],
)
def test_numbers_print_as_ecmascript_does(value: float, text: str) -> None:
    assert es_number(value) == text


def test_rfc8785_key_order_is_by_utf16_code_units_and_strings_are_minimally_escaped() -> None:
    value = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}

    assert (
        canonical(value)
        == ('{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\U0001f600":5,"\ufb33":3}').encode()
    )
    assert canonical(["\u2028", "\x1f", '"\\', 1.0]) == b'["\xe2\x80\xa8","\\u001f","\\"\\\\",1]'


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
events = st.dictionaries(
    st.sampled_from(sorted(FIELDS)) | st.text(max_size=10), json_values, max_size=18
) | st.builds(
    lambda base, extra: {**VALID, **extra},
    st.just(VALID),
    st.dictionaries(st.sampled_from(sorted(FIELDS)), json_values, max_size=3),
)


@settings(max_examples=400, deadline=None)
@given(events)
def test_the_validator_gives_a_valid_event_or_an_input_error(event: dict[str, Any]) -> None:
    try:
        valid = validate_event(event)
    except InputError as exc:
        named = exc.details["field"]
        unknown = sorted(k for k in event if k not in FIELDS)
        if unknown:
            assert named == unknown[0][:60]
        else:
            assert named.split("[")[0] in {*FIELDS, "event"}
            assert exc.message.startswith(named + ": ")
        return
    data = entry_bytes(valid)
    assert json.loads(data) == valid
    assert validate_event(json.loads(data)) == valid


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.builds(lambda v: json.dumps(v).encode(), json_values))
def test_any_line_is_an_event_or_an_input_error(line: bytes) -> None:
    try:
        event = parse_line(line)
    except InputError:
        return
    assert validate_event(json.loads(entry_bytes(event))) == event


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_round_trips_through_its_ecmascript_text(value: float) -> None:
    assert float(es_number(value)) == value
    assert struct.pack(">d", float(es_number(value))) == struct.pack(">d", value + 0.0)
