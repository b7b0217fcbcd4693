"""Scanning logs: findings with file, line, type, key and masked sample; a redacted copy."""

from __future__ import annotations

import json

import pytest

from readiness.errors import InputError
from readiness.logs.scan import Finding, LogScanner, mask, parse_json_object, scan_lines

LINES = [
    '{"level":"info","message":"signup bob@example.com","password":"hunter22"}\n',
    "plain text line with nothing\n",
    "2025-03-15 payment card 4111 1111 1111 1111 from 203.0.113.42\n",
    '{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","amount":4111111111111111}\n',
    "{not json but braces bob@example.com\n",
]


def test_findings_have_file_line_type_key_and_a_masked_sample() -> None:
    report = scan_lines(LINES, file="app.log")
    assert report.findings == [
        Finding("app.log", 1, "email", "bo***********om", "message"),
        Finding("app.log", 1, "key", "********", "password"),
        Finding("app.log", 3, "card", "41***************11"),
        Finding("app.log", 3, "ip", "20********42"),
        Finding("app.log", 4, "card", "41************11", "amount"),
        Finding("app.log", 5, "email", "bo***********om"),
    ]
    assert report.as_json()["counts"] == {"card": 2, "email": 2, "ip": 1, "key": 1}
    assert report.lines == 5


def test_the_json_shape_names_the_key_only_for_json_lines() -> None:
    report = scan_lines(LINES[:3], file="app.log")
    assert report.as_json() == {
        "counts": {"card": 1, "email": 1, "ip": 1, "key": 1},
        "findings": [
            {"file": "app.log", "line": 1, "type": "email", "sample": "bo***********om",
             "key": "message"},
            {"file": "app.log", "line": 1, "type": "key", "sample": "********", "key": "password"},
            {"file": "app.log", "line": 3, "type": "card", "sample": "41***************11"},
            {"file": "app.log", "line": 3, "type": "ip", "sample": "20********42"},
        ],
        "lines": 3,
        "truncated": False,
    }  # fmt: skip


def test_nested_keys_are_reported_as_dotted_paths() -> None:
    report = scan_lines(['{"user":{"contacts":[{"mail":"eve@example.org"}]},"n":1}'])
    assert report.findings == [Finding("-", 1, "email", "ev***********rg", "user.contacts.mail")]


def test_the_redacted_copy_keeps_every_line_and_leaves_clean_lines_untouched() -> None:
    report = scan_lines([*LINES, '{"b": 1,  "a": "spaced json stays as written"}'])
    assert report.redacted == [
        '{"level":"info","message":"signup [EMAIL]","password":"[REDACTED]"}',
        "plain text line with nothing",
        "2025-03-15 payment card [CARD] from 203.0.113.0/24",
        '{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","amount":"[CARD]"}',
        "{not json but braces [EMAIL]",
        '{"b": 1,  "a": "spaced json stays as written"}',
    ]
    assert json.loads(report.redacted[0])["password"] == "[REDACTED]"


def test_types_limit_the_detectors_and_the_key_rules() -> None:
    report = scan_lines(LINES, types=["ip", "email"])
    assert report.counts == {"email": 2, "ip": 1}
    assert report.redacted[0] == '{"level":"info","message":"signup [EMAIL]","password":"hunter22"}'


def test_api_key_stands_for_every_provider() -> None:
    report = scan_lines(["aws AKIAIOSFODNN7EXAMPLE and mail a@example.com"], types=["api_key"])
    assert report.counts == {"api_key:aws": 1}
    assert report.redacted == ["aws [API_KEY:aws] and mail a@example.com"]


def test_an_unknown_type_is_an_input_error_naming_the_choices() -> None:
    with pytest.raises(InputError) as caught:
        LogScanner(types=["email", "passport"])
    assert caught.value.message == (
        "unknown type 'passport': expected a comma-separated list of api_key, bearer, card, "
        "email, iban, ip, jwt, key, phone, secret, ssn"
    )


def test_max_findings_keeps_the_first_ones_and_counts_all() -> None:
    report = scan_lines([f"user{i}@example.com" for i in range(5)], max_findings=2)
    assert [f.line for f in report.findings] == [1, 2]
    assert (report.counts, report.total, report.truncated) == ({"email": 5}, 5, True)


def test_line_numbers_restart_per_file_and_the_report_adds_up() -> None:
    scanner = LogScanner()
    list(scanner.lines(["a@example.com"], file="one.log"))
    list(scanner.lines(["x", "b@example.com"], file="two.log"))
    assert [(f.file, f.line) for f in scanner.report.findings] == [("one.log", 1), ("two.log", 2)]
    assert scanner.report.lines == 3


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('{"big": 123456789012345678901234567890}', {"big": 123456789012345678901234567890}),
        ('{"n": NaN}', "nan"),
        ("[1, 2]", None),
        ('{"a": ', None),
        ("{" * 100_000, None),
        ('{"a":' + "[" * 100_000 + "]" * 100_000 + "}", None),
        ("plain", None),
    ],
)
def test_the_json_reader_takes_objects_and_leaves_everything_else_to_text(
    line: str, expected: object
) -> None:
    parsed = parse_json_object(line)
    if expected == "nan":
        assert parsed is not None
        assert list(parsed) == ["n"]
    else:
        assert parsed == expected


def test_mask_keeps_two_characters_each_side_above_eight() -> None:
    assert mask("12345678") == "********"
    assert mask("123456789") == "12*****89"


@pytest.mark.parametrize(
    ("line", "redacted", "kind", "sample"),
    [
        ("paid 4111 1111 1111 1111 0 ok", "paid [CARD] 0 ok", "card", "41***************11"),
        ("ref 12 4111-1111-1111-1111", "ref 12 [CARD]", "card", "41***************11"),
        ("call +49 30 12345678 now", "call [PHONE] now", "phone", "+4***********78"),
        ("call +55 11 90780-1152", "call [PHONE]", "phone", "+5*************52"),
        ("call +44 7700 900123.", "call [PHONE].", "phone", "+4***********23"),
        ("dial +49 151 12345678", "dial [PHONE]", "phone", "+4************78"),
    ],
)  # fmt: skip
def test_cards_beside_other_digits_and_long_international_groups_are_found(
    line: str, redacted: str, kind: str, sample: str
) -> None:
    report = scan_lines([line])
    assert (report.redacted, report.findings) == ([redacted], [Finding("-", 1, kind, sample)])


def test_an_iban_sample_leaves_out_the_word_after_it() -> None:
    report = scan_lines(["to DE89 3704 0044 0532 0130 00 THANKS"])
    assert report.redacted == ["to [IBAN] THANKS"]
    assert report.findings == [Finding("-", 1, "iban", "DE***********************00")]


def test_a_field_already_redacted_is_not_a_finding_again() -> None:
    line = '{"password":"[REDACTED]","token":"[SECRET]","pin":"1234"}'
    report = scan_lines([line])
    assert report.findings == [Finding("-", 1, "key", "****", "pin")]


def test_a_secret_field_sample_is_its_value_even_with_an_equals_sign_in_the_name() -> None:
    report = scan_lines(['{"x=password":"abc=defghij"}'])
    assert report.findings == [Finding("-", 1, "key", "ab*******ij", "x=password")]
