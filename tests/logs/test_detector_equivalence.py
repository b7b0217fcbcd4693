"""The faster detectors find exactly what the reference ones did: same redacted text, same
findings in the same order, same counts, on generated log lines and on any text."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from readiness.logs.redaction import Detector, default_detectors, scan
from tests.logs import _reference_detectors as reference

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from _pii_corpus import generate

Run = tuple[str, list[tuple[str, str]], dict[str, int]]

#: Pieces log lines are made of: values each detector looks for, near misses, ids, separators.
_PIECES = [
    "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "378282246310005",
    "123-45-6789", "123 45 6789", "000-12-3456", "+1 603 469 0237", "+44 20 7876 6437",
    "(555) 123-4567", "555.123.4567", "1 000 000 000", "203.0.113.7", "256.1.1.1",
    "2001:db8::1", "fe80::1", "::", "GB82 WEST 1234 5698 7654 32", "DE89370400440532013000",
    "jo@example.com", "a.b@mail.example.org", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig",
    "AKIAIOSFODNN7EXAMPLE", "ghp_" + "a1" * 18, "sk_live_" + "x9" * 8, "xoxb-12345-abcdefghij",
    "AIza" + "B2" * 17 + "c", "sk-proj-" + "Ab3" * 8, "Bearer abcdefghijklmnop1234", "bearer\tQ",
    "1670eae679f02e8d28a79023c39c2006", "3b266f850f1578b5",
    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "123e4567-e89b-12d3-a456-426614174000", "v9.39.75", "2025-05-17T23:49:25.328Z",
    "ORD-7482123789", "c2VjcmV0LXRva2VuLXZhbHVlLTEyMzQ1Njc4OTA=", "x", "_", "-", "+", ".",
    ":", "/", "(", ")", "@", "=", " ", "\t", "\u0663\u0664", "\u00e9", "K", "\u017f",
]  # fmt: skip

_lines = st.lists(
    st.one_of(st.sampled_from(_PIECES), st.text(max_size=6), st.integers(0, 10**19).map(str)),
    max_size=12,
).map("".join)


def _new(text: str) -> Run:
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    out = scan(text, default_detectors(), counts, lambda k, o: found.append((k, o)))
    return out, found, counts


def _old(text: str) -> Run:
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    out = reference.scan(
        text, reference.default_detectors(), counts, lambda k, o: found.append((k, o))
    )
    return out, found, counts


@settings(max_examples=1500, deadline=None)
@given(text=_lines)
def test_generated_log_lines_give_the_reference_findings(text: str) -> None:
    assert _new(text) == _old(text)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=80))
def test_any_text_gives_the_reference_findings(text: str) -> None:
    assert _new(text) == _old(text)


def test_the_benchmark_corpus_gives_the_reference_findings() -> None:
    samples = generate(3000, 11)
    differing = [s.text for s in samples if _new(s.text) != _old(s.text)]
    assert differing == []
    assert sum(len(_new(s.text)[1]) for s in samples) > 1500


def test_digit_run_skips_a_detector_on_ascii_texts_without_a_long_enough_run() -> None:
    # A detector breaking its own bound shows where the gate stops it.
    five = Detector("five", re.compile(r"\d[\d .\-)]*"), lambda _m: "[FIVE]", digit_run=5)
    counts: dict[str, int] = {}
    assert scan("call 12 34 x", [five], counts) == "call 12 34 x"
    assert scan("id 12-3)4.5 end", [five], counts) == "id [FIVE]end"
    # Not ASCII: other digits count too, so the detector always runs.
    assert scan("n \u0661\u0662", [five], counts) == "n [FIVE]"
    assert counts == {"five": 2}


def test_a_detector_list_changed_in_place_is_planned_again() -> None:
    detectors = default_detectors()
    assert scan("to jo@example.com", detectors) == "to [EMAIL]"
    detectors[:] = [d for d in detectors if d.kind != "email"]
    assert scan("to jo@example.com", detectors) == "to jo@example.com"
    detectors.append(default_detectors()[8])
    assert scan("to jo@example.com", detectors) == "to [EMAIL]"
