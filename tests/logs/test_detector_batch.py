"""The batch path (``Redactor.texts``: one Hyperscan scan over many texts, ``scanning.prescan``)
gives what ``Redactor.text`` gives one text at a time, and what the reference detectors give:
the same texts, the same findings in the same order, the same counts; each line's gates, found
in the joined buffer, are the ones that line's own scan finds."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import Detector, Redactor, default_detectors, gates, scanning
from readiness.logs.redaction import validators as v
from readiness.logs.scan import BATCH_LINES, LogScanner, ScanReport
from tests.logs import _reference_detectors as reference
from tests.logs.test_detector_gates import _ASCII_LINES, _PIECES, _mixed, without_hyperscan

__all__ = ["without_hyperscan"]  # the fixture, used by name below

_LINES = st.lists(
    st.one_of(
        _ASCII_LINES,
        st.lists(st.sampled_from([*_PIECES, "caf\u00e9", "\u0661\u0662"]), max_size=6).map("".join),
    ),
    max_size=8,
)

Run = tuple[list[str], list[tuple[str, str]], dict[str, int]]


def _batch(texts: list[str], detectors: list[Detector] | None = None) -> Run:
    redactor = Redactor(detectors=detectors)
    found: list[tuple[str, str]] = []
    redactor.on_finding = lambda k, o: found.append((k, o))
    return redactor.texts(texts), found, redactor.counts


def _one_by_one(texts: list[str], detectors: list[Detector] | None = None) -> Run:
    redactor = Redactor(detectors=detectors)
    found: list[tuple[str, str]] = []
    redactor.on_finding = lambda k, o: found.append((k, o))
    return [redactor.text(t) for t in texts], found, redactor.counts


def _reference(texts: list[str], detectors: list[reference.Detector] | None = None) -> Run:
    chosen = reference.default_detectors() if detectors is None else detectors
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    out = [
        t
        if v.is_identifier_value(t)
        else reference.scan(t, chosen, counts, lambda k, o: found.append((k, o)))
        for t in texts
    ]
    return out, found, counts


def _default_gates() -> gates.Gates:
    many = gates.compiled_many([d.gate for d in default_detectors() if d.gate is not None])
    assert many is not None
    return many


@settings(max_examples=600, deadline=None)
@given(texts=st.lists(_ASCII_LINES, max_size=10))
def test_each_line_gets_the_gates_its_own_scan_finds(texts: list[str]) -> None:
    single = scanning._plan(default_detectors()).gates
    assert single is not None
    found = gates.many(_default_gates(), texts)
    assert [sorted(f) for f in found] == [sorted(single(t)) for t in texts]


def test_gates_are_placed_on_their_own_line_of_the_buffer() -> None:
    texts = ["to jo@example.com", "", "nothing here", "\n", "card 4111 1111 1111 1111"]
    found = gates.many(_default_gates(), texts)
    # (The national phone gate matches a card's digit groups too.)
    assert [sorted(f) for f in found] == [[8], [], [], [], [10, 15]]
    assert gates.many(_default_gates(), []) == []


@settings(max_examples=600, deadline=None)
@given(texts=_LINES)
def test_texts_give_what_text_gives_one_by_one_and_the_reference(texts: list[str]) -> None:
    batch = _batch(texts)
    assert batch == _one_by_one(texts)
    assert batch == _reference(texts)


@settings(max_examples=300, deadline=None)
@given(texts=_LINES, kinds=st.sets(st.sampled_from(sorted({d.kind for d in default_detectors()}))))
def test_texts_with_a_subset_of_the_detectors_give_the_reference(
    texts: list[str], kinds: set[str]
) -> None:
    chosen = [d for d in default_detectors() if d.kind in kinds]
    theirs = [d for d in reference.default_detectors() if d.kind in kinds]
    assert _batch(texts, chosen) == _reference(texts, theirs)


@settings(max_examples=200, deadline=None)
@given(texts=_LINES)
def test_a_detector_without_a_gate_runs_on_every_text_of_a_batch(texts: list[str]) -> None:
    ours, theirs = _mixed()
    assert _batch(texts, ours) == _reference(texts, theirs)


def test_a_gate_that_is_not_a_default_one_is_not_scanned_in_batches() -> None:
    five = Detector("five", re.compile(r"\d{5}"), lambda _m: "[FIVE]", gate=r"[0-9]{5}")
    assert gates.compiled_many([five.gate or ""]) is None
    assert scanning.prescan(["12345"], [five]) is None
    assert Redactor(detectors=[five]).texts(["a 12345 b", "1234"]) == ["a [FIVE] b", "1234"]


def test_prescan_leaves_texts_that_are_not_ascii_to_scan() -> None:
    found = scanning.prescan(["caf\u00e9 jo@example.com", "jo@example.com"], default_detectors())
    assert found == [None, [8]]
    assert Redactor().texts(["caf\u00e9 jo@example.com", "3b266f850f1578b5"]) == [
        "caf\u00e9 [EMAIL]",
        "3b266f850f1578b5",
    ]


@pytest.mark.usefixtures("without_hyperscan")
@settings(max_examples=200, deadline=None)
@given(texts=_LINES)
def test_without_hyperscan_texts_give_the_reference(texts: list[str]) -> None:
    assert scanning.prescan(texts, default_detectors()) is None
    assert _batch(texts) == _reference(texts)


def _scanned_one_by_one(lines: list[str], types: list[str] | None) -> tuple[list[str], ScanReport]:
    scanner = LogScanner(types=types)
    scanner._file = "f"
    return [scanner.line(raw) for raw in lines], scanner.report


_SCAN_LINES = st.lists(
    st.one_of(
        _LINES.map(" ".join),
        st.fixed_dictionaries({"msg": _ASCII_LINES, "password": st.just("x")}).map(json.dumps),
        st.just("{broken"),
    ),
    max_size=BATCH_LINES + 5,
)


@settings(max_examples=60, deadline=None)
@given(
    lines=_SCAN_LINES,
    types=st.none() | st.lists(st.sampled_from(["email", "card", "ip", "secret", "key"])),
)
def test_logs_scan_in_batches_gives_what_it_gives_line_by_line(
    lines: list[str], types: list[str] | None
) -> None:
    scanner = LogScanner(types=types)
    copy = list(scanner.lines([f"{line}\n" for line in lines], file="f"))
    expected_copy, expected = _scanned_one_by_one(lines, types)
    assert copy == expected_copy
    assert scanner.report == expected


def test_logs_scan_batches_number_their_findings_by_line() -> None:
    lines = ["nothing", "to jo@example.com", '{"note": "4111 1111 1111 1111"}'] * 100
    scanner = LogScanner()
    copy = list(scanner.lines(lines, file="f"))
    # Lines 256 to 258: the last of the first batch, the first two of the second.
    assert copy[255:258] == ["nothing", "to [EMAIL]", '{"note":"[CARD]"}']
    assert [(f.line, f.type, f.key) for f in scanner.report.findings[170:172]] == [
        (257, "email", None),
        (258, "card", "note"),
    ]
    assert scanner.report.lines == 300
