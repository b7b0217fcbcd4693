"""The Hyperscan gates only skip detectors that find nothing: each default gate matches every
ASCII text its detector finds something in, and ``scan`` with the gates (and the marker shortcuts
it takes after a replacement) gives exactly what the reference gives, with the gates on or off,
with counts alone or with every finding, for the default list, its subsets and lists mixing
detectors with and without a gate."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import Detector, Redactor, default_detectors, gates, scan, scanning
from tests.logs import _reference_detectors as reference

#: Values each detector looks for, near misses, and the pieces around them that decide a gate or
#: a lookaround: markers, dots and brackets after digits, runs of hex digits and dashes.
_PIECES = [
    "4111 1111 1111 1111", "5555-5555-5555-4444", "4111111111111111", "378282246310005",
    "4111 1111 1111 1111 0", "0 4111 1111 1111 1111", "123-45-6789", "123 45 6789",
    "+1 603 469 0237", "+44 20 7876 6437", "(555) 123-4567", "(555)123-4567", "555.123.4567",
    "1 000 000 000", "203.0.113.7", "1.2.3.4.", "256.1.1.1", "6.18.49.1113", "2001:db8::1",
    "2001:db8:0:0:1:0:0:1", "fe80::1", "::", "1:2:3:4:5:6:7:8", "GB82 WEST 1234 5698 7654 32",
    "DE89370400440532013000", "jo@example.com", "a.b@mail.example.org",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    "AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1" * 18, "sk_live_" + "x9" * 8, "xoxb-12345-abcdefghij",
    "AIza" + "B2" * 17 + "c", "sk-proj-" + "Ab3" * 8, "Bearer abcdefghijklmnop1234", "bearer\tQ",
    "1670eae679f02e8d28a79023c39c2006", "3b266f850f1578b5", "1670eae679f02e8d28a7=",
    "ab12-cd34-ef56-7890-abcd-ef12-3456", "a-b-c-d-e-f-0-1-2-3-4-5",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "123e4567-e89b-12d3-a456-426614174000", "2025-05-17T23:49:25.328Z", "ORD-7482123789",
    "c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1Njc4OTA=", "Zx9" * 7, "[EMAIL]", "[CARD]", "[", "]",
    "x", "_", "-", "+", ".", ":", "/", "(", ")", "@", "=", " ", "\t", "\n", "0", "9",
]  # fmt: skip

_ASCII_LINES = st.lists(
    st.one_of(
        st.sampled_from(_PIECES),
        st.text(alphabet=st.characters(max_codepoint=127), max_size=6),
        st.integers(0, 10**19).map(str),
    ),
    max_size=12,
).map("".join)

Run = tuple[str, list[tuple[str, str]], dict[str, int]]


def _reference(text: str, kinds: frozenset[str] | None = None) -> Run:
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    chosen = [d for d in reference.default_detectors() if kinds is None or d.kind in kinds]
    out = reference.scan(text, chosen, counts, lambda k, o: found.append((k, o)))
    return out, found, counts


def _ours(text: str, detectors: list[Detector]) -> Run:
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    out = scan(text, detectors, counts, lambda k, o: found.append((k, o)))
    return out, found, counts


@pytest.fixture
def without_hyperscan(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Gates off, as where Hyperscan cannot be imported (plans made now have none)."""
    monkeypatch.setattr(gates, "_hs", None)
    monkeypatch.setattr(gates, "_COMPILED", {})
    monkeypatch.setattr(gates, "_COMPILED_MANY", {})
    monkeypatch.setattr(scanning, "_PLANS", {})
    yield


def test_the_default_gates_compile_into_one_database() -> None:
    assert gates.available() is True
    compiled = gates.compiled([d.gate for d in default_detectors() if d.gate is not None])
    assert compiled is not None
    assert sorted(compiled("mail jo@example.com from 203.0.113.7 x")) == [8, 12]
    assert all(d.gate is not None for d in default_detectors())


@settings(max_examples=1000, deadline=None)
@given(text=_ASCII_LINES)
def test_a_gate_matches_every_text_its_detector_finds_something_in(text: str) -> None:
    for detector in default_detectors():
        assert detector.gate is not None
        step = _step(detector)
        if scanning._scan_steps(text, (step,), (step,), None, None) != text:
            compiled = gates.compiled([detector.gate])
            assert compiled is not None
            assert (detector.kind, compiled(text)) == (detector.kind, [0])


def _step(detector: Detector) -> scanning._Step:
    return scanning._plan([detector]).steps[0]


@settings(max_examples=1500, deadline=None)
@given(text=_ASCII_LINES)
def test_gated_scans_of_ascii_lines_give_the_reference_findings(text: str) -> None:
    assert _ours(text, default_detectors()) == _reference(text)


@settings(max_examples=800, deadline=None)
@given(text=_ASCII_LINES)
def test_counts_alone_take_the_marker_shortcut_and_give_the_reference_counts(text: str) -> None:
    counts: dict[str, int] = {}
    out = scan(text, default_detectors(), counts)
    expected, _found, expected_counts = _reference(text)
    assert (out, counts) == (expected, expected_counts)


@settings(max_examples=400, deadline=None)
@given(
    text=_ASCII_LINES, kinds=st.sets(st.sampled_from(sorted({d.kind for d in default_detectors()})))
)
def test_subsets_of_the_default_detectors_give_the_reference_findings(
    text: str, kinds: set[str]
) -> None:
    chosen = [d for d in default_detectors() if d.kind in kinds]
    assert _ours(text, chosen) == _reference(text, frozenset(kinds))


def _mixed() -> tuple[list[Detector], list[reference.Detector]]:
    # A detector without a gate, putting a default marker in after digits, between gated ones.
    order = Detector("order", re.compile(r"ORD-\d+"), lambda _m: "[EMAIL]", needs_digit=True)
    ours = default_detectors()
    theirs = reference.default_detectors()
    old = reference.Detector("order", order.pattern, order.replace, needs_digit=True)
    return [*ours[:9], order, *ours[9:]], [*theirs[:9], old, *theirs[9:]]


@settings(max_examples=400, deadline=None)
@given(text=_ASCII_LINES)
def test_detectors_without_a_gate_run_among_gated_ones_as_before(text: str) -> None:
    ours, theirs = _mixed()
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    expected = reference.scan(text, theirs, counts, lambda k, o: found.append((k, o)))
    assert _ours(text, ours) == (expected, found, counts)


@pytest.mark.usefixtures("without_hyperscan")
@settings(max_examples=600, deadline=None)
@given(text=_ASCII_LINES)
def test_without_hyperscan_the_python_path_gives_the_reference_findings(text: str) -> None:
    assert scanning._plan(default_detectors()).gates is None
    assert _ours(text, default_detectors()) == _reference(text)


def test_non_ascii_texts_skip_the_gates_and_find_the_same() -> None:
    text = "caf\u00e9 jo@example.com 4111 1111 1111 1111 \u0661\u0662"
    assert _ours(text, default_detectors()) == _reference(text)
    assert scan(text, default_detectors()) == "caf\u00e9 [EMAIL] [CARD] \u0661\u0662"


def test_threads_scanning_at_once_each_get_their_own_scratch_space() -> None:
    redactor = Redactor()
    lines = [
        f"user{i}@example.com paid with 4111 1111 1111 1111 from 203.0.113.{i}" for i in range(200)
    ]
    expected = [redactor.text(line) for line in lines]
    results: dict[int, list[str]] = {}
    start = threading.Barrier(4)

    def work(n: int) -> None:
        start.wait()
        results[n] = [redactor.text(line) for line in lines]

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == dict.fromkeys(range(4), expected)
    assert expected[7] == "[EMAIL] paid with [CARD] from 203.0.113.0/24"
