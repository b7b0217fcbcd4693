"""Scanning logs: findings with file, line, type and masked sample; a redacted copy."""

from __future__ import annotations

import json

from readiness.logs.scan import Finding, mask, scan_lines

LINES = [
    '{"level":"info","message":"signup bob@example.com","password":"hunter22"}\n',
    "plain text line with nothing\n",
    "2025-03-15 payment card 4111 1111 1111 1111 from 203.0.113.42\n",
    '{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","amount":4111111111111111}\n',
    "{not json but braces bob@example.com\n",
]


def test_findings_have_file_line_type_and_a_masked_sample() -> None:
    report = scan_lines(LINES, file="app.log")
    assert report.findings == [
        Finding("app.log", 1, "email", "bo***********om"),
        Finding("app.log", 1, "key", "pa*************22"),
        Finding("app.log", 3, "card", "41***************11"),
        Finding("app.log", 3, "ip", "20********42"),
        Finding("app.log", 4, "card", "41************11"),
        Finding("app.log", 5, "email", "bo***********om"),
    ]
    assert report.as_json()["counts"] == {"card": 2, "email": 2, "ip": 1, "key": 1}


def test_the_redacted_copy_keeps_every_line() -> None:
    report = scan_lines(LINES)
    assert report.redacted == [
        '{"level":"info","message":"signup [EMAIL]","password":"[REDACTED]"}',
        "plain text line with nothing",
        "2025-03-15 payment card [CARD] from 203.0.113.0/24",
        '{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","amount":"[CARD]"}',
        "{not json but braces [EMAIL]",
    ]
    assert json.loads(report.redacted[0])["password"] == "[REDACTED]"


def test_mask_keeps_two_characters_each_side_above_eight() -> None:
    assert mask("12345678") == "********"
    assert mask("123456789") == "12*****89"
